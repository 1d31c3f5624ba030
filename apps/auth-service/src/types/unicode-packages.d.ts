// Declarations for the two Unicode data packages that ship none (see users/email.ts and confusables.ts).

declare module 'unicode-match-property-value-ecmascript/data/mappings.js' {
  /** Property name → (value alias → canonical value), for the properties of RegExp `\p{…}`. */
  const mappings: Map<string, Map<string, string>>;
  export default mappings;
}

declare module 'tr46' {
  export interface Tr46Options {
    checkBidi?: boolean;
    checkHyphens?: boolean;
    checkJoiners?: boolean;
    ignoreInvalidPunycode?: boolean;
    transitionalProcessing?: boolean;
    useSTD3ASCIIRules?: boolean;
    verifyDNSLength?: boolean;
  }
  /** UTS #46 ToASCII: the punycode form, or null when the domain is not valid. */
  export function toASCII(domain: string, options?: Tr46Options): string | null;
  /** UTS #46 ToUnicode: the Unicode form, and whether an error was found on the way. */
  export function toUnicode(domain: string, options?: Tr46Options): { domain: string; error: boolean };
}
