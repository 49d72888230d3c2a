/**
 * Conventions the publisher writes and the platform agent reads, for what the marketplace has
 * no field for.
 *
 * The default configuration: the server stores configurations with a name only, while a
 * manifest marks one configuration `default` (the one an agent deploys). `hsp publish` creates
 * the default configuration before any other of the build, and refuses a plan in which another
 * one would come first, so the default is the build's FIRST configuration: the earliest
 * `created_at`, and among equal timestamps the earlier one in the server's list (servers list
 * configurations in creation order, and store timestamps finer than the millisecond rendered).
 */

interface Created {
  id: string;
  created_at: string;
}

/** The configuration an agent deploys: the build's first, by the convention above. */
export function defaultConfiguration<T extends Created>(configurations: readonly T[]): T | undefined {
  let first: T | undefined;
  for (const configuration of configurations) {
    // Strictly earlier only: a tie keeps the one listed first.
    if (!first || Date.parse(configuration.created_at) < Date.parse(first.created_at)) first = configuration;
  }
  return first;
}

/** Whether `configuration` is the default among its build's `configurations` (the server's list). */
export function isDefaultConfiguration<T extends Created>(configuration: T, configurations: readonly T[]): boolean {
  return defaultConfiguration(configurations)?.id === configuration.id;
}
