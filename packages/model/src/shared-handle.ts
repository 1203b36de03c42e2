/** A host handle shared by several guest objects, dropped when the last of them lets go. */
export class SharedHandle<T extends Disposable> {
  readonly value: T;
  #holders = 1;

  constructor(value: T) {
    this.value = value;
  }

  /** Another holder; each holder calls `release` once. */
  retain(): this {
    this.#holders++;
    return this;
  }

  release(): void {
    this.#holders--;
    if (this.#holders === 0) this.value[Symbol.dispose]();
  }
}
