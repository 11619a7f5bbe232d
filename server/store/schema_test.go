package store

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

// TestMigrateToStoreItems: a store written before the store_items table
// existed (schema version 2) is migrated in place on open, keeping its
// objects, and store items then survive a restart like any object.
func TestMigrateToStoreItems(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hooklab.db")
	s := mustOpen(t, path, Options{})
	s.Put(Threads, Record{ID: "t1", Data: json.RawMessage(`{"thread_id":"t1"}`)})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Take the file back to version 2, as an older hooklab left it.
	db := openRaw(t, path, true)
	mustExec(t, db, "DROP TABLE store_items")
	mustExec(t, db, "DROP TABLE observations")
	mustExec(t, db, "DROP TABLE dicts")
	mustExec(t, db, "PRAGMA user_version = 2")
	db.Close()

	s = mustOpen(t, path, Options{})
	if th, err := s.Load(Threads); err != nil || len(th) != 1 {
		t.Fatalf("threads after the migration: %+v, %v", th, err)
	}
	s.Put(StoreItems, Record{ID: `[["a","b"],"k"]`, Parent: "a.b", Data: json.RawMessage(`{"key":"k"}`)})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, path, Options{})
	items, err := s.Load(StoreItems)
	if err != nil || len(items) != 1 || items[0].Parent != "a.b" || string(items[0].Data) != `{"key":"k"}` {
		t.Fatalf("store items after a restart: %+v, %v", items, err)
	}
	var v int
	if err := s.rdb.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != schemaVersion() {
		t.Fatalf("user_version %d (%v), want %d", v, err, schemaVersion())
	}
}

// TestMigrateToObservations: a store from before the observations table
// (schema version 3) gains it on open, keeps its objects, and an
// observation put and then deleted is gone after a restart while another
// stays.
func TestMigrateToObservations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hooklab.db")
	s := mustOpen(t, path, Options{})
	s.Put(Threads, Record{ID: "t1", Data: json.RawMessage(`{"thread_id":"t1"}`)})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := openRaw(t, path, true)
	mustExec(t, db, "DROP TABLE observations")
	mustExec(t, db, "DROP TABLE dicts")
	mustExec(t, db, "PRAGMA user_version = 3")
	db.Close()

	s = mustOpen(t, path, Options{})
	if th, err := s.Load(Threads); err != nil || len(th) != 1 {
		t.Fatalf("threads after the migration: %+v, %v", th, err)
	}
	s.PutValue(Observations, "r1", "t1", map[string]string{"run_id": "r1"})
	s.PutValue(Observations, "r2", "", map[string]string{"run_id": "r2"})
	s.Delete(Observations, "r1")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, path, Options{})
	obs, err := s.Load(Observations)
	if err != nil || len(obs) != 1 || obs[0].ID != "r2" || string(obs[0].Data) != `{"run_id":"r2"}` {
		t.Fatalf("observations after a restart: %+v, %v", obs, err)
	}
	var v int
	if err := s.rdb.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != schemaVersion() {
		t.Fatalf("user_version %d (%v), want %d", v, err, schemaVersion())
	}
}
