/**
 * The child's validity period (contract rows 17–20) and its encoding.
 *
 * ```asn1
 * Validity ::= SEQUENCE {
 *      notBefore      Time,
 *      notAfter       Time  }
 * Time ::= CHOICE {
 *      utcTime        UTCTime,
 *      generalTime    GeneralizedTime }
 * ```
 */
import { Time } from '@peculiar/asn1-x509';
import { badRequest } from '../errors';
import { TAG, encodeSequence, encodeTlv } from '../der';
import { isoString } from '../iso-time';

export interface ValidityInput {
  /** Defaults to `now`. */
  notBefore?: Date;
  notAfter: Date;
  parentNotBefore: Date;
  parentNotAfter: Date;
  now: Date;
}

/** Drops milliseconds: certificates carry whole seconds (RFC 5280 4.1.2.5: no fractions). */
export const truncateToSeconds = (d: Date): Date => new Date(Math.floor(d.getTime() / 1000) * 1000);

/**
 * Rows 17–20 in order. Both dates are truncated to whole seconds first, so the checks judge
 * exactly the dates the certificate will carry: truncation only moves a date earlier, by under
 * a second, which can never push notAfter past the parent's (whole-second) notAfter; it can make
 * a notAfter less than a second ahead of `now` count as past, which is the honest answer for a
 * certificate that would be expired by the time it is returned. `now` is compared untruncated.
 */
export function checkValidity(input: ValidityInput): { notBefore: Date; notAfter: Date } {
  const { parentNotBefore, parentNotAfter, now } = input;
  if (Number.isNaN(input.notAfter.getTime()) || (input.notBefore && Number.isNaN(input.notBefore.getTime()))) {
    throw badRequest('Invalid date');
  }
  const notBefore = truncateToSeconds(input.notBefore ?? now);
  const notAfter = truncateToSeconds(input.notAfter);
  if (notBefore < parentNotBefore) throw badRequest("notBefore date is before CA certificate's notBefore date");
  if (notBefore >= notAfter) throw badRequest('notBefore date is after notAfter date');
  if (notAfter > parentNotAfter) throw badRequest("notAfter date is after CA certificate's notAfter date");
  if (notAfter < now) throw badRequest('notAfter date is in the past');
  return { notBefore, notAfter };
}

/** RFC 5280 4.1.2.5: UTCTime for 1950 through 2049, GeneralizedTime otherwise. */
const usesUtcTime = (d: Date): boolean => d.getUTCFullYear() >= 1950 && d.getUTCFullYear() <= 2049;

/** `date` as an asn1-x509 `Time` with the RFC 5280 choice made explicitly. */
export function encodeTime(date: Date): Time {
  const d = truncateToSeconds(date);
  return usesUtcTime(d) ? new Time({ utcTime: d }) : new Time({ generalTime: d });
}

/** `date` as DER Time: `YYMMDDHHMMSSZ` (UTCTime) or `YYYYMMDDHHMMSSZ` (GeneralizedTime). */
export function timeDer(date: Date): Buffer {
  const iso = isoString(truncateToSeconds(date)); // YYYY-MM-DDTHH:MM:SS.000Z
  if (!/^\d{4}-/.test(iso)) throw new Error(`date out of range for a certificate: ${iso}`);
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  const utc = usesUtcTime(date);
  return encodeTlv(utc ? TAG.UTC_TIME : TAG.GENERALIZED_TIME, Buffer.from(`${utc ? digits.slice(2) : digits}Z`, 'latin1'));
}

/** DER Validity. */
export const validityDer = (notBefore: Date, notAfter: Date): Buffer => encodeSequence(timeDer(notBefore), timeDer(notAfter));
