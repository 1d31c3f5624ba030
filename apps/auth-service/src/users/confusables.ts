import unhomoglyph from 'unhomoglyph';
import scriptValueAliases from 'unicode-match-property-value-ecmascript/data/mappings.js';

/**
 * The UTS #39 §4 skeleton: NFD, each character replaced by its prototype from Unicode's
 * confusables.txt (the data and the replacement are `unhomoglyph`'s), NFD again. Addresses are
 * compared case-insensitively, so the input is NFKC-folded and lower-cased first and the result
 * lower-cased (UTS #39 §4 allows such folding around the mapping): confusables.txt leaves
 * compatibility variants to NFKC (full-width `ｍ` is not in it), and `ʀ` → `R` must meet `r`.
 * Default-ignorable characters never get here: the email rules refuse them (email.ts).
 */
export function skeleton(text: string): string {
  return unhomoglyph(text.normalize('NFKC').toLowerCase().normalize('NFD')).normalize('NFD').toLowerCase();
}

const JAPANESE = 'Jpan';
const KOREAN = 'Kore';
const CHINESE_BOPOMOFO = 'Hanb';

/** Every script the JavaScript engine knows, as one regular expression each (Script_Extensions). */
const SCRIPT_MATCHERS: ReadonlyArray<readonly [string, RegExp]> = [...new Set(scriptValueAliases.get('Script')?.values() ?? [])]
  .filter((name) => name !== 'Common' && name !== 'Inherited' && name !== 'Unknown')
  .flatMap((name): Array<[string, RegExp]> => {
    try {
      return [[name, new RegExp(`^\\p{Script_Extensions=${name}}$`, 'u')]];
    } catch {
      return []; // a script newer than this Node's Unicode tables: no character of it can be told apart anyway
    }
  });

/**
 * The scripts a character may belong to (its Script_Extensions), with UTS #39 §5.1's augmentation
 * (Han goes with Hiragana and Katakana as Japanese, with Hangul as Korean, with Bopomofo as Chinese).
 * `undefined` for Common and Inherited characters (digits, `.`, `-`, `_`, combining marks): they
 * go with any script.
 */
function scriptsOf(char: string): Set<string> | undefined {
  if (/^[a-z]$/i.test(char)) return new Set(['Latin']);
  if (char.charCodeAt(0) < 0x80) return undefined;
  const scripts = new Set(SCRIPT_MATCHERS.filter(([, re]) => re.test(char)).map(([name]) => name));
  if (scripts.size === 0) return undefined;
  if (scripts.has('Han')) [JAPANESE, KOREAN, CHINESE_BOPOMOFO].forEach((s) => scripts.add(s));
  if (scripts.has('Hiragana') || scripts.has('Katakana')) scripts.add(JAPANESE);
  if (scripts.has('Hangul')) scripts.add(KOREAN);
  if (scripts.has('Bopomofo')) scripts.add(CHINESE_BOPOMOFO);
  return scripts;
}

/**
 * Whether the text mixes scripts: its resolved script set (UTS #39 §5.1, the intersection of its
 * characters' script sets, Common and Inherited left out) is empty. `pаypal` with a Cyrillic `а`
 * mixes Latin and Cyrillic; `josé`, `иван`, `山田たろう` and `user.42` do not.
 */
export function mixesScripts(text: string): boolean {
  let resolved: Set<string> | undefined;
  for (const char of text) {
    const scripts = scriptsOf(char);
    if (!scripts) continue;
    resolved = resolved ? new Set([...resolved].filter((s) => scripts.has(s))) : scripts;
    if (resolved.size === 0) return true;
  }
  return false;
}
