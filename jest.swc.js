// One SWC transform for every Jest config: TypeScript with Nest's decorator metadata, and the
// ESM-only `jose` compiled to CommonJS (Jest's module registry cannot load ESM without its VM mode).
module.exports = [
  '@swc/jest',
  {
    swcrc: false,
    sourceMaps: 'inline',
    jsc: {
      parser: { syntax: 'typescript', decorators: true, dynamicImport: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs', ignoreDynamic: true },
  },
];
