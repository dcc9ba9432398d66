package vfs

import "vkernel/stats"

// What the name cache counts for --stats (package stats). A lookup of a
// name is a hit when a cached entry, positive or negative, is found
// valid, and a miss when the filesystem's Lookup is asked (nothing
// cached, or the entry was stale). A hit costs a revalidation unless the
// entry is trusted: a mount point, or checked within the filesystem's
// revalidation window.
var (
	cacheStats       = stats.NewGroup("name cache")
	cacheHits        = cacheStats.Counter("hits")
	cacheNegHits     = cacheStats.Counter("negative hits (of the hits)")
	cacheMisses      = cacheStats.Counter("misses (filesystem Lookup)")
	cacheNotFound    = cacheStats.Counter("misses that found nothing (new negative entries)")
	cacheTrusted     = cacheStats.Counter("trusted unchecked (mount point, or within the window)")
	cacheRevalidated = cacheStats.Counter("revalidations (filesystem Revalidate)")
	cacheStale       = cacheStats.Counter("revalidations that found a change")
	cacheEvicted     = cacheStats.Counter("evictions (LRU)")
	cacheInvalidated = cacheStats.Counter("invalidations (names changed through the VFS)")
)

func init() {
	cacheStats.Note("attribute cache: none (every stat asks the filesystem)")
}

// countHit counts a cache hit on c.
func countHit(c *Dentry) {
	cacheHits.Inc()
	if c.vnode == nil {
		cacheNegHits.Inc()
	}
}
