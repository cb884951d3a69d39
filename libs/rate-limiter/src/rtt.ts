import { RecentSamples } from './recent';

/**
 * Recent Redis round trips of this process, to size how far ahead it
 * reserves: a slot that arrives after its time is lost, so on a loaded
 * machine (replies taking tens of ms) the horizon must stretch with them.
 */
export class RecentRoundTrips extends RecentSamples {
  /** The median of the recent round trips (0 before any). */
  typical(): number {
    return this.quantile(0.5);
  }
}
