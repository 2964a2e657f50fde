/**
 * The at-rest key: one 32-byte master key per data folder, from the OS keystore (the app), a key
 * file or a passphrase (`auscult serve` and the CLI). Each room derives its own subkey from it
 * with HKDF and a label of its own (the database's in src/store, the recordings' in src/audio), so
 * no two uses ever share a key. Types only: loading keys is the service's and the shell's job.
 */
export interface AtRestKey {
  /** 32 bytes. Never logged, never sent anywhere. */
  readonly master: Uint8Array;
  /** A public fingerprint of the key (hex), stored beside the data to say "wrong key" clearly. */
  readonly keyId: string;
  /**
   * The database's page cipher in this folder, as its encryption.json says (SQLite3 Multiple
   * Ciphers' names). Absent = 'chacha20', the cipher of every folder made before 'aegis'.
   */
  readonly databaseCipher?: DatabaseCipher;
}

/**
 * ChaCha20-Poly1305 (SQLite3 Multiple Ciphers' default; its PBKDF2 runs 64,007 rounds at every
 * open) or AEGIS-256 (authenticated, AES-NI; new folders since issue 16: about twice ChaCha20's
 * insert rate here, and its key derivation set to the minimum, as the key is already random).
 */
export type DatabaseCipher = 'chacha20' | 'aegis';
