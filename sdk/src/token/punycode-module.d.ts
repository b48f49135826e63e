// Types for the ES module build of the `punycode` package (RFC 3492), the only
// two functions used here.
declare module 'punycode/punycode.es6.js' {
  const punycode: {
    /** Punycode-encode one label (without the `xn--` prefix). */
    encode(label: string): string;
    /** Decode one Punycode label; throws a RangeError on invalid input. */
    decode(label: string): string;
  };
  export default punycode;
}
