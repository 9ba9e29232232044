package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/noisecurv/noisecurv/lib/experiment"
)

// cmdCache is 'noisecurv cache merge DIR...': copy the verified entries of other cache
// folders (for example the caches of grid shards run on separate machines) into this one.
func cmdCache(_ context.Context, args []string) error {
	fs := newFlagSet(help{
		name: "cache merge", args: "[--cache DIR] SRC_CACHE_DIR...",
		about: `Copies every entry of the given cache folders (for example the caches of 'grid --shard i/n'
runs on other machines) into this cache, after verifying it against its SHA-256 manifest.
Entries already valid here are kept; source entries that do not verify are listed and left
out (rerun their shard). The source folders are only read.`,
		examples: []string{"noisecurv cache merge results/shards/*/", "noisecurv cache merge --cache /scratch/cache node1-cache node2-cache"},
	})
	cacheDir := fs.String("cache", "", "cache folder to merge into (default results/cache)")
	rest, err := verb(fs, args, "merge", "cache: want 'noisecurv cache merge SRC_CACHE_DIR...'")
	if err != nil {
		return err
	}
	if err := parse(fs, rest, true); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("cache merge: no source cache folder given")
	}
	dst := *cacheDir
	if dst == "" {
		dst = filepath.Join(experiment.RepoRoot(), "results", "cache")
	}
	c := experiment.Cache{Dir: dst}
	skipped := 0
	for _, src := range fs.Args() {
		r, err := c.Merge(src)
		if err != nil {
			return fmt.Errorf("cache merge %s: %w", src, err)
		}
		for _, e := range r.Skipped {
			fmt.Fprintln(stderr, "skipped:", e)
		}
		skipped += len(r.Skipped)
		fmt.Fprintf(stdout, "%s: %d entries copied, %d already present, %d skipped (do not verify)\n", src, len(r.Copied), len(r.Present), len(r.Skipped))
	}
	if skipped > 0 {
		return fmt.Errorf("cache merge: %d source entries did not verify and were not copied", skipped)
	}
	return nil
}
