package store

import (
	"container/list"
	"hash/maphash"
	"strconv"
	"sync"
	"sync/atomic"

	"tessera/backend"
)

// The cache keeps what authenticated requests read (sessions by id, users
// by name, revoked token ids), so that they need no database round trip in
// the steady state. It is exact: every change that can make a token
// invalid drops the entries it touches before the change's method returns
// (on this process) and is announced to every other process on the
// database, which drop them when the announcement arrives (see listen.go).
// While announcements may be missed (the listener is down), the cache is
// bypassed; its entries are kept only to answer while the database itself
// cannot be reached (frozen, see DB.stale), and dropped when it listens
// again.
//
// A load that raced with a change must not put back what the change
// dropped: each shard counts its changes (gen), a load notes the count
// before it reads the database and stores its result only if the count
// has not moved.

// cacheShards splits the cache so that requests rarely wait for each other.
const cacheShards = 16

// Keys of the cache and of the announcements of changes: a kind letter,
// ":", an id.
const (
	keySession     = 's' // s:<session id>: the session changed
	keyUser        = 'u' // u:<user id>: the user changed (with every session)
	keyUserSession = 'x' // x:<user id>: some sessions of the user changed
	keyName        = 'n' // n:<name>: the name now belongs to a user
	keyToken       = 'j' // j:<jti>: the token was revoked
)

// cacheKinds are the kinds of key the cache answers, as CacheStats names
// them.
var cacheKinds = [...]struct {
	key  byte
	name string
}{{keySession, "session"}, {keyName, "user"}, {keyToken, "revoked_token"}}

// count counts a lookup of key.
func (c *cache) count(key string, hit bool) {
	for i, k := range cacheKinds {
		if key[0] == k.key {
			if hit {
				c.hits[i].Add(1)
			} else {
				c.misses[i].Add(1)
			}
			return
		}
	}
}

// entry is one cached answer: a session (nil: no such session), a user
// (nil: no such name) or whether a jti is revoked.
type entry struct {
	key     string
	session *backend.Session
	user    *backend.User
	revoked bool
}

type shard struct {
	mu    sync.Mutex
	gen   uint64
	items map[string]*list.Element // of *entry
	lru   list.List                // most recently used first
	max   int
}

// cache is the process's cache of one database. Its zero value is unused;
// see newCache.
type cache struct {
	seed   maphash.Seed
	shards [cacheShards]shard
	// on is false while announcements may be missed: nothing is read from
	// or put in the cache.
	on atomic.Bool
	// hits and misses count the lookups by kind of key (see CacheStats).
	hits, misses [len(cacheKinds)]atomic.Uint64

	// The sessions and the names cached per user id, so that a change of a
	// user drops them all.
	idx struct {
		sync.Mutex
		sessions map[int64]map[string]bool
		names    map[int64]map[string]bool
	}
}

// newCache returns a cache of at most size entries, off until turned on.
func newCache(size int) *cache {
	c := &cache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].items = map[string]*list.Element{}
		c.shards[i].max = max(1, size/cacheShards)
	}
	c.idx.sessions = map[int64]map[string]bool{}
	c.idx.names = map[int64]map[string]bool{}
	return c
}

func (c *cache) shard(key string) *shard {
	return &c.shards[maphash.String(c.seed, key)%cacheShards]
}

// get returns the entry of key and the shard's change count, to be passed
// to put after a load when there is none.
func (c *cache) get(key string) (e *entry, gen uint64, ok bool) {
	sh := c.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if el, found := sh.items[key]; found && c.on.Load() {
		sh.lru.MoveToFront(el)
		return el.Value.(*entry), sh.gen, true
	}
	return nil, sh.gen, false
}

// put stores e, loaded from the database, unless the cache is off or its
// shard changed since gen, and reports whether it did.
func (c *cache) put(e *entry, gen uint64) bool {
	if !c.on.Load() {
		return false
	}
	sh := c.shard(e.key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.gen != gen || !c.on.Load() {
		return false
	}
	c.insert(sh, e)
	return true
}

// hold stores e, what this process just wrote, as a change: loads in
// flight in its shard are not stored after it (they may have read what
// was there before). When the shard changed since gen, what e says may be
// older than another change already applied, so the key is dropped
// instead.
func (c *cache) hold(e *entry, gen uint64) {
	sh := c.shard(e.key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.gen == gen && c.on.Load() {
		c.insert(sh, e)
	} else {
		c.remove(sh, e.key)
	}
	sh.gen++
}

// insert puts e in sh, which the caller holds locked, and indexes it (in
// the same hold of the lock: a change of its user that reads the index
// after bumping every shard then finds it), evicting the least recently
// used entries beyond the shard's size.
func (c *cache) insert(sh *shard, e *entry) {
	if el, found := sh.items[e.key]; found {
		c.index(el.Value.(*entry), false)
		el.Value = e
		sh.lru.MoveToFront(el)
	} else {
		sh.items[e.key] = sh.lru.PushFront(e)
		for sh.lru.Len() > sh.max {
			c.remove(sh, sh.lru.Back().Value.(*entry).key)
		}
	}
	c.index(e, true)
}

// remove takes key's entry, if any, out of sh, which the caller holds
// locked, and out of the index.
func (c *cache) remove(sh *shard, key string) {
	if el, found := sh.items[key]; found {
		sh.lru.Remove(el)
		delete(sh.items, key)
		c.index(el.Value.(*entry), false)
	}
}

// index records (add) or forgets a session or user entry under its user
// id. The caller holds the entry's shard locked (lock order: shard, then
// index).
func (c *cache) index(e *entry, add bool) {
	var uid int64
	var set map[int64]map[string]bool
	switch {
	case e.session != nil:
		uid, set = e.session.UserID, c.idx.sessions
	case e.user != nil:
		uid, set = e.user.ID, c.idx.names
	default:
		return
	}
	c.idx.Lock()
	defer c.idx.Unlock()
	switch {
	case add && set[uid] == nil:
		set[uid] = map[string]bool{e.key: true}
	case add:
		set[uid][e.key] = true
	default:
		delete(set[uid], e.key)
		if len(set[uid]) == 0 {
			delete(set, uid)
		}
	}
}

// drop removes the entries of keys and counts a change in their shards.
func (c *cache) drop(keys ...string) {
	for _, key := range keys {
		sh := c.shard(key)
		sh.mu.Lock()
		sh.gen++
		c.remove(sh, key)
		sh.mu.Unlock()
	}
}

// apply drops what the change named by an announcement's key touched.
func (c *cache) apply(change string) {
	if len(change) < 2 || change[1] != ':' {
		return
	}
	id := change[2:]
	switch change[0] {
	case keySession, keyName, keyToken:
		c.drop(change)
	case keyUser, keyUserSession:
		uid, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return
		}
		// First count a change everywhere: a load of one of its sessions
		// (or of its name) in flight is not stored from now on, and one
		// stored before is indexed already (see insert), so found below.
		c.bumpAll()
		c.idx.Lock()
		keys := make([]string, 0, len(c.idx.sessions[uid]))
		for k := range c.idx.sessions[uid] {
			keys = append(keys, k)
		}
		delete(c.idx.sessions, uid)
		if change[0] == keyUser {
			for k := range c.idx.names[uid] {
				keys = append(keys, k)
			}
			delete(c.idx.names, uid)
		}
		c.idx.Unlock()
		c.drop(keys...)
	}
}

// bumpAll counts a change in every shard: loads in flight are not stored.
func (c *cache) bumpAll() {
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		sh.gen++
		sh.mu.Unlock()
	}
}

// freeze stops using the cache (changes may be missed from now on) but
// keeps its entries for frozen; loads in flight are not stored.
func (c *cache) freeze() {
	c.on.Store(false)
	c.bumpAll()
}

// frozen returns the entry of key whether the cache is on or frozen: what
// this process last knew. It may be used only while the database cannot be
// reached, when nothing can change.
func (c *cache) frozen(key string) (*entry, bool) {
	sh := c.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if el, found := sh.items[key]; found {
		return el.Value.(*entry), true
	}
	return nil, false
}

// setOn empties the cache and turns it on or off; loads in flight are not
// stored. It is off while it empties: nothing is stored meanwhile, so the
// index, emptied last, misses nothing that is stored.
func (c *cache) setOn(on bool) {
	c.on.Store(false)
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		sh.gen++
		clear(sh.items)
		sh.lru.Init()
		sh.mu.Unlock()
	}
	c.idx.Lock()
	clear(c.idx.sessions)
	clear(c.idx.names)
	c.idx.Unlock()
	c.on.Store(on)
}

// size is how many entries the cache holds.
func (c *cache) size() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += sh.lru.Len()
		sh.mu.Unlock()
	}
	return n
}
