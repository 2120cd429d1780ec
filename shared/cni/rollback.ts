// Undo steps for an ADD that fails half-way: each step that creates something registers how to
// remove it, and a failure runs them newest first, best effort (the original error is what the
// runtime needs to see).
export type Undo = () => void | Promise<unknown>;

export class Rollback {
  private readonly undos: Undo[] = [];

  push(u: Undo): void {
    this.undos.push(u);
  }

  async run(): Promise<void> {
    for (const u of this.undos.reverse()) {
      try {
        await u();
      } catch {
        /* best effort */
      }
    }
    this.undos.length = 0;
  }
}
