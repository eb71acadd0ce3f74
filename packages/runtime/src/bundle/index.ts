/**
 * The bundle format: canonical JSON, strict parsing, the manifest and payload types, and pure,
 * non-throwing verification. Shared by the compiler (writer) and the runtime (reader) so the two can
 * never disagree.
 */
export { canonicalize, canonicalBytes, CanonicalJsonError, type JsonValue } from './canonical-json.ts';
export { parseStrictJson, parseStrictJsonBytes, type StrictJsonResult, type StrictJsonOptions } from './strict-json.ts';
export { sha256Hex, isSha256Hex } from './sha256.ts';
export { VerifyCode, type VerifyResult } from './codes.ts';
export {
  MANIFEST_TYPE,
  SIGNING_DOMAIN,
  SIGNATURE_ALG,
  DEFAULT_MAX_MANIFEST_BYTES,
  DEFAULT_MAX_PAYLOAD_BYTES,
  MAX_SERIAL,
  signingMessage,
  manifestBytes,
  type Manifest,
  type ManifestSigned,
  type ManifestSignature,
  type PayloadRef,
} from './manifest.ts';
export {
  keyIdOf,
  publicKeyToBase64,
  parsePublicKey,
  parseTrustedKeys,
  trustedKeysFrom,
  type TrustedKeys,
  type TrustedKeysResult,
} from './trusted-keys.ts';
export { verifyManifest, type VerifyManifestOptions, type VerifiedManifest } from './verify-manifest.ts';
export { verifyPayload, type ExpectedPayload, type VerifyPayloadOptions } from './verify-payload.ts';
export { payloadShapeError } from './payload-shape.ts';
export * from './payload.ts';
export {
  KEYS_TYPE,
  KEYS_SIGNING_DOMAIN,
  DEFAULT_MAX_KEYS_BYTES,
  keysSigningMessage,
  verifyKeysDocument,
  latestFloorReset,
  type KeysSigned,
  type FloorReset,
  type VerifiedKeys,
  type VerifyKeysOptions,
} from './keys-document.ts';
export { verifySignatures, type SignaturesResult } from './signatures.ts';
