/** Unit tests: `*.spec.ts` beside pure logic in apps/, libs/ and bench/. */
module.exports = {
  rootDir: __dirname,
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/bench'],
  testRegex: '\\.spec\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json', 'cjs', 'mjs'],
  transform: { '^.+\\.(t|j|mj)s$': require('./jest.swc.js') },
  // ESM-only packages, compiled to CommonJS for Jest: jose, the OAuth clients the e2e tests drive, and
  // content-disposition through @fastify/static (the /docs UI's assets).
  transformIgnorePatterns: ['/node_modules/(?!(jose|openid-client|oauth4webapi|content-disposition)/)'],
  moduleNameMapper: {
    '^@tessera/verifier$': '<rootDir>/libs/verifier/src',
    '^@tessera/verifier/(.*)$': '<rootDir>/libs/verifier/src/$1',
    '^@tessera/client$': '<rootDir>/libs/client/src',
  },
  modulePathIgnorePatterns: ['<rootDir>/libs/[^/]+/dist/'],
  testEnvironment: 'node',
};
