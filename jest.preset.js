// Shared jest settings for every project. TypeScript is transpiled by ts-jest
// without type-checking (the `build` target type-checks); ESM-only packages
// (p-limit and its dependency) are transformed too.
const path = require('node:path');

module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  transform: {
    '^.+\\.[tj]s$': [
      'ts-jest',
      { tsconfig: path.join(__dirname, 'tsconfig.jest.json'), diagnostics: false },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(p-limit|yocto-queue)/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
};
