// The canonical form of a visit record: RFC 8785 (JSON Canonicalization Scheme), computed by
// `canonicalize`, the package of the RFC's author. The server computes the same bytes with Python's
// `rfc8785` (sync/canonical.py); tests/vectors/sync/record_hash.json holds both sides to it.
import canonicalize from 'canonicalize'

/** The member that carries the hash is never part of what is hashed. */
export const HASH_FIELD = 'hash'

/** The RFC 8785 string of a record without its `hash` member. */
export function canonicalString(record) {
  const rest = Object.fromEntries(Object.entries(record).filter(([key]) => key !== HASH_FIELD))
  return canonicalize(rest)
}
