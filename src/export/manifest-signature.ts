/**
 * Signed export manifests. Every manifest.json carries a `signature` block: the workstation's key
 * id and public key, the latest signed checkpoint of the history at export time (so an export is
 * itself an anchor: a database later rolled back or truncated below it is caught with `--db`), and
 * an Ed25519 signature over the canonical JSON of the whole manifest with the block's `sig` left
 * out. Any edit of the manifest (exportedBy, exportedAt, counts, a file's SHA-256 — and through
 * those, any byte of any file) breaks the signature; a manifest signed with another key is not the
 * workstation's. Trust comes from outside the export: the signing folder or `--public-key`.
 */
import {
  canonicalJson,
  checkpointProblem,
  documentMessage,
  publicKeyFrom,
  signatureValid,
  trustedKeys,
  type SignedCheckpoint,
  type TrustedKeys,
} from '../store/index.js';

export const MANIFEST_SIGNATURE_PREFIX = 'auscult-export-manifest/1';

/** What an export signs with (the store's signing, passed in by the service). */
export interface ManifestSigning {
  keyId: string;
  publicKey: string;
  latestCheckpoint(): SignedCheckpoint | null;
  /** base64 signature of documentMessage(prefix, canonical). */
  signDocument(prefix: string, canonical: string): string;
}

export interface ManifestSignature {
  algorithm: 'Ed25519';
  keyId: string;
  publicKey: string;
  checkpoint: SignedCheckpoint | null;
  sig: string;
}

/** The manifest with its signature block added. */
export function signManifest<T extends object>(
  manifest: T,
  signing: ManifestSigning,
): T & { signature: ManifestSignature } {
  const block = {
    algorithm: 'Ed25519' as const,
    keyId: signing.keyId,
    publicKey: signing.publicKey,
    checkpoint: signing.latestCheckpoint(),
  };
  const sig = signing.signDocument(MANIFEST_SIGNATURE_PREFIX, canonicalJson({ ...manifest, signature: block }));
  return { ...manifest, signature: { ...block, sig } };
}

export interface ManifestSignatureCheck {
  ok: boolean;
  /** Whether the key is a trusted one (else only self-consistent: said in `note`). */
  trusted: boolean;
  keyId: string | null;
  checkpoint: SignedCheckpoint | null;
  problem: string | null;
  note: string | null;
}

/** Checks a parsed manifest.json (the raw object, every field) against the trusted keys. */
export function checkManifestSignature(raw: unknown, keys: TrustedKeys | null): ManifestSignatureCheck {
  const fail = (problem: string): ManifestSignatureCheck => ({
    ok: false,
    trusted: false,
    keyId: null,
    checkpoint: null,
    problem,
    note: null,
  });
  if (raw === null || typeof raw !== 'object' || !('signature' in raw)) {
    if (keys)
      return fail(
        'the manifest is not signed (the signature was removed, or the export was not made by this workstation)',
      );
    return {
      ok: true,
      trusted: false,
      keyId: null,
      checkpoint: null,
      problem: null,
      note: 'the manifest is not signed, and no trusted key was given: its content is only self-consistent',
    };
  }
  const { signature, ...rest } = raw as { signature: unknown } & Record<string, unknown>;
  const s = signature as Partial<ManifestSignature> | null;
  if (
    !s ||
    typeof s !== 'object' ||
    typeof s.sig !== 'string' ||
    typeof s.keyId !== 'string' ||
    typeof s.publicKey !== 'string'
  )
    return fail('the manifest signature block is malformed');
  const { sig, ...block } = s;
  const canonical = canonicalJson({ ...rest, signature: block });
  const message = documentMessage(MANIFEST_SIGNATURE_PREFIX, canonical);
  const trustedKey = keys?.get(s.keyId) ?? null;
  if (keys && !trustedKey)
    return fail(`the manifest is signed by key ${s.keyId}, which is not the workstation's key: it was forged`);
  const key = trustedKey ?? publicKeyFrom(s.publicKey);
  if (!key) return fail('the manifest names a public key that is not an Ed25519 key');
  if (!signatureValid(key, message, sig))
    return fail('the manifest signature is not valid: the manifest was edited after export (or forged)');
  const cp = s.checkpoint ?? null;
  if (cp) {
    const why = checkpointProblem(cp, trustedKey ? keys! : trustedKeys([s.publicKey]));
    if (why) return fail(`the checkpoint in the manifest cannot be trusted: ${why}`);
  }
  return {
    ok: true,
    trusted: !!trustedKey,
    keyId: s.keyId,
    checkpoint: cp,
    problem: null,
    note: trustedKey
      ? null
      : `signature valid for key ${s.keyId}, which was NOT checked against the workstation's key: give --public-key <file> or --db <file>`,
  };
}
