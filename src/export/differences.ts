/** One place where the cluster will behave differently from tamsaek, and what a user should expect from it. */
export interface Difference {
  /** analyzer, bm25, dense, fusion, rerank, … */
  area: string;
  difference: string;
  effect: string;
}
