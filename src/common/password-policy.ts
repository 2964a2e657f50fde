/**
 * The password rule, in one place: the service's schema enforces it and the UI states it in the
 * same words. Length is what NIST SP 800-63B asks of a memorised secret chosen by its user
 * (at least 8 characters, long passphrases allowed, no composition rules).
 */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 200;

export const PASSWORD_POLICY =
  `At least ${PASSWORD_MIN} characters (up to ${PASSWORD_MAX}); a passphrase of several words is easiest to remember. ` +
  'It must differ from your current password. Passwords are case-sensitive.';
