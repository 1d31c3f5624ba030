/** Unit tests: `*.spec.ts` beside pure logic in apps/ and libs/. */
module.exports = {
  rootDir: __dirname,
  roots: ['<rootDir>/apps', '<rootDir>/libs'],
  testRegex: '\\.spec\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json', 'cjs', 'mjs'],
  transform: { '^.+\\.(t|j|mj)s$': require('./jest.swc.js') },
  // ESM-only packages the service requires (Node 20 loads them natively; Jest needs them compiled): jose, and content-disposition through @fastify/static (the /docs UI's assets).
  transformIgnorePatterns: ['/node_modules/(?!(jose|content-disposition)/)'],
  moduleNameMapper: { '^@tessera/verifier$': '<rootDir>/libs/verifier/src' },
  testEnvironment: 'node',
};
