/**
 * The child's pathLenConstraint from the parent's and the requested `maxPathLength`
 * (contract rows 14–16 and its path-length rules). `undefined` means "no pathLen", never 0:
 * pathLen 0 is a real constraint and must survive everywhere.
 *
 * ```asn1
 * BasicConstraints ::= SEQUENCE {
 *      cA                      BOOLEAN DEFAULT FALSE,
 *      pathLenConstraint       INTEGER (0..MAX) OPTIONAL }
 * ```
 */
import { badRequest } from '../errors';

/**
 * @param parentPathLen the parent certificate's pathLenConstraint, `undefined` when absent
 * @param requested `maxPathLength` from the request: -1 for "as much as allowed", or n ≥ 0
 */
export function childPathLength(parentPathLen: number | undefined, requested: number): number | undefined {
  if (!Number.isSafeInteger(requested)) throw badRequest('maxPathLength must be an integer');
  // The schema refuses < -1 (422); kept here so the function is total.
  if (requested < -1) throw badRequest('maxPathLength must be -1 or a non-negative integer');
  if (parentPathLen === 0) {
    throw badRequest('Failed to issue intermediate certificate due to CA path length constraint');
  }
  if (parentPathLen === undefined) return requested === -1 ? undefined : requested;
  // Infisical refuses the default -1 under a constrained parent; Vault inherits P-1, and so do we.
  if (requested === -1) return parentPathLen - 1;
  if (requested >= parentPathLen) {
    throw badRequest("The requested path length constraint exceeds the CA's allowed path length");
  }
  return requested;
}
