/** The shell of the generator's commands: --help, option errors (exit 2), a crash (exit 1). */

export function runCommand<T>(usage: string, parse: (argv: string[]) => T, run: (options: T, argv: string[]) => Promise<number>): void {
  const argv = process.argv.slice(2);
  const main = async (): Promise<number> => {
    if (argv.includes('--help') || argv.includes('-h')) {
      console.log(usage);
      return 0;
    }
    let options: T;
    try {
      options = parse(argv);
    } catch (err) {
      console.error(`${(err as Error).message}\n\n${usage}`);
      return 2;
    }
    return run(options, argv);
  };
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = 1;
    },
  );
}
