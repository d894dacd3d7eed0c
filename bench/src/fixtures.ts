/**
 * Repositories shared between benchmarks: the read benchmarks read what the write benchmarks wrote.
 * A benchmark run alone (--only) builds the repository it needs itself, untimed.
 */
export class Fixtures {
  private readonly built = new Map<string, Promise<string>>();

  /** Registers a repository another benchmark made. */
  put(name: string, dir: string): void {
    this.built.set(name, Promise.resolve(dir));
  }

  /** The repository called `name`, built by `build` (which returns its directory) the first time. */
  get(name: string, build: () => Promise<string>): Promise<string> {
    let p = this.built.get(name);
    if (!p) {
      p = build();
      this.built.set(name, p);
    }
    return p;
  }
}
