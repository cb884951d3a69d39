// One flat config for the whole workspace; each project lints its own src/ and test/.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Module boundaries (Nx project tags, set in each package.json's "nx" field):
// apps use libraries; libraries use libraries; tools (doctor, infra) use
// libraries and each other; test projects (e2e, two-hosts, ha, containers) use anything but
// tools. Nx also refuses any import of an application outright, so the few
// application entry points meant for others are listed in `allow` below.
const depConstraints = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
  { sourceTag: 'type:test', onlyDependOnLibsWithTags: ['type:lib', 'type:tool', 'type:test'] },
];
const boundaries = (allow = []) => ({
  '@nx/enforce-module-boundaries': ['error', { allow, depConstraints, enforceBuildableLibDependency: false }],
});

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/generated/**', '.voc/**', '.nx/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  { files: ['**/*.ts'], plugins: { '@nx': nx }, rules: boundaries() },
  // The doctor validates a host's environment with each app's own settings loader.
  { files: ['tools/doctor/src/**/*.ts'], rules: boundaries(['@voc/gateway/config', '@voc/llm-sim/config']) },
  // Test code (test/ folders and the test projects) may also use llm-sim, a
  // declared test helper, and the end-to-end pipeline fixture; library and
  // app src/ may not.
  {
    files: ['**/test/**/*.ts', 'e2e/**/*.ts', 'infra/two-hosts/**/*.ts'],
    rules: boundaries(['@voc/llm-sim', '@voc/llm-sim/config', '@voc/e2e']),
  },
  // The high-availability and container test beds and the fault suite reuse the
  // multi-host harness (infra/two-hosts' declared entry point).
  {
    files: ['infra/containers/**/*.ts', 'infra/ha/**/*.ts', 'e2e/faults/**/*.ts'],
    rules: boundaries(['@voc/llm-sim', '@voc/llm-sim/config', '@voc/e2e', '@voc/two-hosts/harness']),
  },
);
