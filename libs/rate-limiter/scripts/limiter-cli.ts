// `npm run limiter -- status|resume|halt …`: see runLimiterCli (src/operator-cli.ts) and README: Operating it.
import { runLimiterCli } from '../src/operator-cli';

void runLimiterCli(process.argv.slice(2), {
  env: process.env,
  out: (text) => console.log(text),
  err: (text) => console.error(text),
}).then((code) => {
  process.exitCode = code;
});
