package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"tessera/backend/store"
	"tessera/backend/store/storetest"
)

// TestBackup: a copy made while users are being created is a consistent,
// working database with every user committed before it started, readable
// by its owner only, and nothing else is left beside it.
func TestBackup(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, kind store.Kind) {
		ctx := context.Background()
		dsn := storetest.DSN(t, kind)
		db := storetest.OpenDSN(t, dsn)
		dir := t.TempDir()
		path := filepath.Join(dir, "copy.db")
		if kind == store.Postgres {
			if _, err := store.Backup(ctx, dsn, path); !errors.Is(err, store.ErrBackupPostgres) {
				t.Fatalf("Backup on PostgreSQL = %v, want ErrBackupPostgres", err)
			}
			return
		}
		for i := range 20 {
			if _, err := db.CreateUser(ctx, fmt.Sprintf("before%d", i), "$2a$04$x"); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		stop := make(chan struct{})
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := db.CreateUser(ctx, fmt.Sprintf("during%d", i), "$2a$04$x"); err != nil {
					t.Error(err)
					return
				}
			}
		})
		info, err := store.Backup(ctx, dsn, path)
		close(stop)
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		if info.Users < 20 || info.Path != path {
			t.Fatalf("Backup = %+v", info)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 || st.Size() != info.Bytes {
			t.Fatalf("copy: mode %v, %d bytes (reported %d)", st.Mode(), st.Size(), info.Bytes)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Fatalf("beside the copy: %v", entries)
		}
		// Interrupted (its context cancelled), it leaves nothing behind.
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := store.Backup(cancelled, dsn, filepath.Join(dir, "interrupted.db")); err == nil {
			t.Fatal("Backup with a cancelled context succeeded")
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Fatalf("after an interrupted backup: %v", entries)
		}
		cp, err := store.Open(ctx, "sqlite:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer cp.Close()
		for i := range 20 {
			if _, err := cp.UserByName(ctx, fmt.Sprintf("before%d", i)); err != nil {
				t.Fatalf("user before%d in the copy: %v", i, err)
			}
		}
		users, err := cp.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(users)) != info.Users {
			t.Fatalf("copy holds %d users, Backup said %d", len(users), info.Users)
		}
		if _, err := store.Backup(ctx, dsn, path); err == nil {
			t.Fatal("a second Backup to the same path succeeded")
		}
		// Characters that mean something in a URI are only characters in
		// a file name.
		odd := filepath.Join(t.TempDir(), "copy ?#%20 1.db")
		if info, err := store.Backup(ctx, dsn, odd); err != nil || info.Users < 20 {
			t.Fatalf("Backup to %q = %+v, %v", odd, info, err)
		}
		if _, err := os.Stat(odd); err != nil {
			t.Fatal(err)
		}
	})
}
