package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	pgstore "github.com/gorate/ratelimit/store/postgres"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// batchLog records a Store's batches, in the order they are sent, through
// the batch hook: the sizes of the shared lane's and of busy keys' lanes'
// (whose statements wait for their key's lock). A batch of the shared lane
// numbered in holds (from 1, in the order the shared lane sends them) is
// held on its sending goroutine, after it left the queue and before it is
// sent.
type batchLog struct {
	mu           sync.Mutex
	shared, wait []int
	holds        map[int]func()
}

// watchBatches records s's batches.
func watchBatches(s *pgstore.Store) *batchLog {
	l := &batchLog{holds: map[int]func(){}}
	pgstore.SetBatchHook(s, l.add)
	return l
}

func (l *batchLog) add(size int, wait bool) {
	l.mu.Lock()
	if wait {
		l.wait = append(l.wait, size)
		l.mu.Unlock()
		return
	}
	l.shared = append(l.shared, size)
	hold := l.holds[len(l.shared)]
	l.mu.Unlock()
	if hold != nil {
		hold()
	}
}

// sent returns the sizes of the shared lane's batches sent so far.
func (l *batchLog) sent() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.shared)
}

// waited returns the sizes of the busy keys' batches sent so far.
func (l *batchLog) waited() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.wait)
}

// holdBatch holds the shared lane's batch numbered call (from 1) on its
// sending goroutine, after it left the queue and before it is sent: taken
// is closed once it is held, and resume (idempotent) lets it go. The test's
// end resumes it.
func (l *batchLog) holdBatch(t *testing.T, call int) (taken <-chan struct{}, resume func()) {
	held, resumed := make(chan struct{}), make(chan struct{})
	l.mu.Lock()
	defer l.mu.Unlock()
	l.holds[call] = func() {
		close(held)
		<-resumed
	}
	resume = sync.OnceFunc(func() { close(resumed) })
	t.Cleanup(resume)
	return held, resume
}

// sum returns the sum of sizes.
func sum(sizes []int) int {
	n := 0
	for _, size := range sizes {
		n += size
	}
	return n
}

// await polls cond until it holds. It has no deadline of its own: the
// test's timeout bounds it, so a loaded machine never fails it.
func await(cond func() bool) {
	for !cond() {
		time.Sleep(time.Millisecond)
	}
}

// lockID returns the advisory-lock id that table's takes of key lock, as
// the store's SQL computes it (see sql/take.sql).
func lockID(t *testing.T, pool *pgxpool.Pool, table, key string) int64 {
	t.Helper()
	var id int64
	if err := pool.QueryRow(t.Context(), `SELECT hashtextextended($1 || encode($2, 'hex'), 0)`,
		"gorate/ratelimit:"+table+":", []byte(pgstore.StoredKey(key))).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// holdKey holds key's advisory lock of table's takes in a transaction of
// pool until release (or the test's end), so that takes on key wait in the
// server.
func holdKey(t *testing.T, pool *pgxpool.Pool, table, key string) (release func()) {
	t.Helper()
	tx, err := pool.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(t.Context(), `SELECT pg_advisory_xact_lock($1)`, lockID(t, pool, table, key)); err != nil {
		tx.Rollback(context.Background())
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if err := tx.Commit(context.Background()); err != nil {
				t.Errorf("releasing %q: %v", key, err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

// result is what a take returned.
type result struct {
	d   ratelimit.Decision
	err error
}

// goTake runs s.Take of one unit on key in a goroutine, returning the
// channel its result arrives on.
func goTake(ctx context.Context, s *pgstore.Store, key string, rates ratelimit.Rates) <-chan result {
	return goCall(func() (ratelimit.Decision, error) { return s.Take(ctx, key, rates, 1) })
}

// goCall runs take in a goroutine, returning the channel its result
// arrives on.
func goCall(take func() (ratelimit.Decision, error)) <-chan result {
	c := make(chan result, 1)
	go func() {
		d, err := take()
		c <- result{d, err}
	}()
	return c
}

// inFlight starts two takes, on keys "first1" and "first2", one shared
// batch each, held before they are sent until the caller calls release:
// afterwards the shared lane's two runners are busy and further takes
// queue. The shared lane must be idle when it is called.
func inFlight(t *testing.T, s *pgstore.Store, log *batchLog, rates ratelimit.Rates) (first []<-chan result, release func()) {
	t.Helper()
	var resumes []func()
	for call := 1; call <= 2; call++ {
		taken, resume := log.holdBatch(t, len(log.sent())+1)
		first = append(first, goTake(t.Context(), s, fmt.Sprint("first", call), rates))
		<-taken
		resumes = append(resumes, resume)
	}
	return first, func() {
		for _, resume := range resumes {
			resume()
		}
	}
}

// held is a Store on a fresh table, under the log, with its shared lane's
// two batches in flight (inFlight), each a take of one unit against rates
// (10 an hour), held before it is sent until release.
type held struct {
	s       *pgstore.Store
	table   string
	log     *batchLog
	rates   ratelimit.Rates
	release func()
	first   []<-chan result
}

// batched makes a Store batch its takes, as it does by default.
var batched = pgstore.WithMaxBatch(64)

// holdStore returns a held Store on pool.
func holdStore(t *testing.T, pool *pgxpool.Pool) held {
	t.Helper()
	h := held{rates: mustRates(t, ratelimit.PerHour(10))}
	h.s, h.table = newStore(t, pool, batched)
	h.log = watchBatches(h.s)
	h.first, h.release = inFlight(t, h.s, h.log, h.rates)
	return h
}

// mustAllow fails t unless every result admitted its take.
func mustAllow(t *testing.T, what string, cs ...<-chan result) {
	t.Helper()
	for i, c := range cs {
		if r := <-c; r.err != nil || !r.d.Allowed {
			t.Errorf("%s %d = %+v, %v; want admitted", what, i, r.d, r.err)
		}
	}
}

// remaining returns Check's Remaining for key.
func remaining(t *testing.T, s *pgstore.Store, key string, rates ratelimit.Rates) int64 {
	t.Helper()
	d, err := s.Check(t.Context(), key, rates, 0)
	if err != nil {
		t.Fatal(err)
	}
	return d.Remaining
}

// TestBatchExact sends 200 concurrent takes of one unit on one key with a
// limit of 50 through batches, for each algorithm, with Take, and with Take
// and TakeBlocking (under a block of an hour at the first denial) mixed, at
// the server's clock and at a fake clock (fixed: readings taken
// concurrently reach the server in any order, and GCRA's Remaining at a
// clock gone back is no longer one less a take), as they come (batches
// pass over the key while another holds it) and with the key held by
// another transaction until every take is in the key's lane: exactly 50
// are admitted, their Remaining are 49 down to 0 once each (each caller
// got its own decision), every denial says so (blocked when, and only when,
// TakeBlocking's after its first), and, with the key held, the key's lane
// sent batches of more than one take.
func TestBatchExact(t *testing.T) {
	const takes, limit = 200, 50
	for _, alg := range algorithms {
		for _, c := range []struct {
			mixed, fake, held bool
		}{
			{false, false, false}, {true, false, false}, {false, true, false}, {true, true, false},
			{false, false, true}, {true, false, true}, {false, true, true}, {true, true, true},
		} {
			mixed := c.mixed
			t.Run(fmt.Sprintf("%s/blocking=%t/fake=%t/held=%t", alg, c.mixed, c.fake, c.held), func(t *testing.T) {
				pool := sharedPool(t)
				opts := []pgstore.Option{pgstore.WithAlgorithm(alg)}
				if c.fake {
					opts = append(opts, pgstore.WithClock(core.NewFakeClock(1<<40)))
				}
				s, table := newStore(t, pool, append(opts, batched)...)
				log := watchBatches(s)
				rates := mustRates(t, ratelimit.PerHour(limit))
				release := func() {}
				if c.held {
					release = holdKey(t, pool, table, "k")
				}
				cs := make([]<-chan result, takes)
				for i := range cs {
					if mixed && i%2 == 1 {
						cs[i] = goCall(func() (ratelimit.Decision, error) {
							return s.TakeBlocking(t.Context(), "k", rates, 1, ratelimit.Block{For: time.Hour})
						})
					} else {
						cs[i] = goTake(t.Context(), s, "k", rates)
					}
				}
				if c.held {
					await(func() bool { w := log.waited(); return len(w) == 2 && sum(w)+pgstore.Queued(s) == takes })
				}
				release()
				var admitted []int64
				unblocked := 0 // TakeBlocking's denials not blocked: the first
				for i, c := range cs {
					r := <-c
					blocking := mixed && i%2 == 1
					switch {
					case r.err != nil:
						t.Fatalf("take %d: %v", i, r.err)
					case r.d.Allowed:
						admitted = append(admitted, r.d.Remaining)
					case r.d.Remaining != 0 || r.d.RetryAfter <= 0 || r.d.Blocked && !blocking:
						t.Errorf("denial %d %+v: want Remaining 0, a RetryAfter, blocked only by TakeBlocking", i, r.d)
					case blocking && !r.d.Blocked:
						unblocked++
					}
				}
				if unblocked > 1 {
					t.Errorf("%d denials of TakeBlocking not blocked, want at most the first", unblocked)
				}
				slices.Sort(admitted)
				want := make([]int64, limit)
				for i := range want {
					want[i] = int64(i)
				}
				if !slices.Equal(admitted, want) {
					t.Errorf("admitted takes' Remaining = %v, want 0 to %d once each", admitted, limit-1)
				}
				if sizes := log.waited(); c.held && slices.Max(sizes) < 2 {
					t.Errorf("the key's batch sizes %v: no batch formed", sizes)
				}
				if got := remaining(t, s, "k", rates); got != 0 {
					t.Errorf("Check after the takes: Remaining %d, want 0", got)
				}
			})
		}
	}
}

// TestBatchNoDeadlock runs takes on eight keys in varying order from 16
// goroutines through two batching Stores and one that sends every take
// alone, on one table: no take fails, no batch fails (a deadlock would
// abort one), and every key is left with exactly the units taken on it.
func TestBatchNoDeadlock(t *testing.T) {
	const keys, goroutines, each, limit = 8, 16, 40, 1 << 20
	pool := sharedPool(t)
	a, table := newStore(t, pool, batched)
	stores := []*pgstore.Store{a, newStoreOn(t, pool, table, batched), newStoreOn(t, pool, table, pgstore.WithMaxBatch(1))}
	rates := mustRates(t, ratelimit.PerHour(limit))
	var (
		mu    sync.Mutex
		taken [keys]int64
		wg    sync.WaitGroup
	)
	for g := range goroutines {
		wg.Go(func() {
			s := stores[g%len(stores)]
			for i := range each {
				k := (g*7 + i*i) % keys
				d, err := s.Take(t.Context(), fmt.Sprint("k", k), rates, 1)
				if err != nil || !d.Allowed {
					t.Errorf("Take = %+v, %v", d, err)
					return
				}
				mu.Lock()
				taken[k]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, s := range stores[:2] {
		if n := pgstore.Retried(s); n != 0 {
			t.Errorf("%d batches failed and ran again alone", n)
		}
	}
	for k, n := range taken {
		if got := remaining(t, a, fmt.Sprint("k", k), rates); got != limit-n {
			t.Errorf("k%d: Remaining %d after %d takes, want %d", k, got, n, limit-n)
		}
	}
}

// TestBatchCanceled holds a Store's two batches in flight: a take whose
// context ends while it is queued returns the context's error and is
// never applied; one whose context ends after its batch was taken off the
// queue returns the context's error at once and is applied, as its batch
// commits for the take beside it.
func TestBatchCanceled(t *testing.T) {
	pool := sharedPool(t)
	h := holdStore(t, pool)
	s, log, rates, release, first := h.s, h.log, h.rates, h.release, h.first

	ctx, cancel := context.WithCancel(t.Context())
	queued := goTake(ctx, s, "k", rates)
	await(func() bool { return pgstore.Queued(s) == 1 })
	cancel()
	if r := <-queued; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("Take canceled while queued = %+v, %v; want context.Canceled", r.d, r.err)
	}
	if n := pgstore.Queued(s); n != 0 {
		t.Fatalf("Queued after the cancel = %d, want 0", n)
	}

	// The next batch, of two takes, is held after it left the queue until
	// one of its takes' context has ended.
	ctx, cancel = context.WithCancel(t.Context())
	defer cancel()
	taken, resume := log.holdBatch(t, 3)
	sent := goTake(ctx, s, "k", rates)
	await(func() bool { return pgstore.Queued(s) == 1 })
	beside := goTake(t.Context(), s, "k", rates)
	await(func() bool { return pgstore.Queued(s) == 2 })
	release()
	<-taken
	cancel()
	if r := <-sent; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("Take canceled after it was sent = %+v, %v; want context.Canceled", r.d, r.err)
	}
	resume()
	mustAllow(t, "take", append(first, beside)...)
	if sizes := log.sent(); !slices.Equal(sizes, []int{1, 1, 2}) {
		t.Errorf("batch sizes %v, want [1 1 2]", sizes)
	}
	if got := remaining(t, s, "k", rates); got != 10-2 {
		t.Errorf("Remaining %d after 1 queued take canceled and 2 sent together (1 canceled), want %d", got, 10-2)
	}
}

// TestBatchAbandoned ends the contexts of both takes of a batch after it
// left the queue and before it is sent: both return the context's error,
// and the statement is canceled, applying neither.
func TestBatchAbandoned(t *testing.T) {
	pool := sharedPool(t)
	h := holdStore(t, pool)
	s, table, log, rates, release, first := h.s, h.table, h.log, h.rates, h.release, h.first
	taken, resume := log.holdBatch(t, 3)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	abandoned := []<-chan result{goTake(ctx, s, "k", rates), goTake(ctx, s, "k", rates)}
	await(func() bool { return pgstore.Queued(s) == 2 })
	release()
	<-taken
	cancel()
	for i, c := range abandoned {
		if r := <-c; !errors.Is(r.err, context.Canceled) {
			t.Errorf("abandoned take %d = %+v, %v; want context.Canceled", i, r.d, r.err)
		}
	}
	resume()
	mustAllow(t, "take in flight", first...)
	s.Close() // waits for the abandoned batch
	if sizes := log.sent(); !slices.Equal(sizes, []int{1, 1, 2}) {
		t.Errorf("batch sizes %v, want [1 1 2]", sizes)
	}
	if got := remaining(t, newStoreOn(t, pool, table), "k", rates); got != 10 {
		t.Errorf("Remaining %d after an abandoned batch of 2, want 10", got)
	}
}

// TestBatchBadTake makes the server refuse every write of one key (a
// trigger raising an error) and sends a take of it in a batch with five
// takes of other keys: the statement fails, the takes run again alone,
// and only the bad one fails, with the server's error; each other take is
// applied once. For each algorithm.
func TestBatchBadTake(t *testing.T) {
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			pool := sharedPool(t)
			s, table := newStore(t, pool, pgstore.WithAlgorithm(alg), batched)
			refuse(t, pool, table, alg, "bad")
			log := watchBatches(s)
			rates := mustRates(t, ratelimit.PerHour(10))
			first, release := inFlight(t, s, log, rates)
			bad := goTake(t.Context(), s, "bad", rates)
			await(func() bool { return pgstore.Queued(s) == 1 })
			goods := make([]<-chan result, 5)
			for i := range goods {
				goods[i] = goTake(t.Context(), s, fmt.Sprint("good", i), rates)
			}
			await(func() bool { return pgstore.Queued(s) == 6 })
			release()
			mustAllow(t, "take", append(first, goods...)...)
			var pe *pgconn.PgError
			if r := <-bad; !errors.As(r.err, &pe) || pe.Message != "refused" {
				t.Errorf("bad take = %+v, %v; want the trigger's error", r.d, r.err)
			}
			if sizes := log.sent(); !slices.Equal(sizes, []int{1, 1, 6}) {
				t.Errorf("batch sizes %v, want [1 1 6]", sizes)
			}
			if n := pgstore.Retried(s); n != 1 {
				t.Errorf("%d batches ran again alone, want 1", n)
			}
			for i := range goods {
				if got := remaining(t, s, fmt.Sprint("good", i), rates); got != 9 {
					t.Errorf("good%d: Remaining %d after one take, want 9", i, got)
				}
			}
		})
	}
}

// refuse makes the server raise "refused" for every write of key to the
// table alg keeps its state in, until the test's end.
func refuse(t *testing.T, pool *pgxpool.Pool, table string, alg ratelimit.Algorithm, key string) {
	t.Helper()
	target := table
	if alg != ratelimit.SlidingWindowLog {
		target += "_state"
	}
	fn := `"` + table + `_refuse"`
	t.Cleanup(func() { pool.Exec(context.Background(), `DROP FUNCTION IF EXISTS `+fn+` CASCADE`) })
	for _, q := range []string{
		`CREATE FUNCTION ` + fn + `() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'refused'; END$$`,
		fmt.Sprintf(`CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON "%s" FOR EACH ROW WHEN (NEW.key = '\x%x'::bytea) EXECUTE PROCEDURE %s()`,
			target, pgstore.StoredKey(key), fn),
	} {
		if _, err := pool.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBatchKilledConnection kills the connections of a Store's batches
// while they wait in the server for a key another transaction holds (the
// key's lane's): the callers of each batch, one of eight takes among them,
// fail with the connection's error (not retried alone, not hanging), and
// the Store takes again afterwards.
func TestBatchKilledConnection(t *testing.T) {
	admin := sharedPool(t)
	app := "pgstore-batchkill-" + uniqueTable()
	// Two connections, both busy with the batches when they are killed:
	// the next batch has a new one, not one killed while idle.
	pool, err := connect(t.Context(), app, 2, 0)
	if err != nil {
		unreachable(t, err)
	}
	t.Cleanup(pool.Close)
	s, table := newStore(t, pool, batched)
	log := watchBatches(s)
	rates := mustRates(t, ratelimit.PerHour(100))
	release := holdKey(t, admin, table, "k")
	// kill waits until n connections of the Store, none killed before,
	// wait for a lock, and kills them.
	killed := []int32{}
	kill := func(n int) {
		t.Helper()
		var pids []int32
		await(func() bool {
			err := admin.QueryRow(t.Context(), `SELECT coalesce(array_agg(pid), '{}') FROM pg_stat_activity
				WHERE application_name = $1 AND wait_event_type = 'Lock' AND pid <> ALL($2)`, app, killed).Scan(&pids)
			return err == nil && len(pids) == n
		})
		if _, err := admin.Exec(t.Context(), `SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid`, pids); err != nil {
			t.Fatal(err)
		}
		killed = append(killed, pids...)
	}
	mustFail := func(what string, cs ...<-chan result) {
		t.Helper()
		for i, c := range cs {
			if r := <-c; r.err == nil || errors.Is(r.err, context.Canceled) || errors.Is(r.err, context.DeadlineExceeded) {
				t.Errorf("%s %d = %+v, %v; want the connection's failure", what, i, r.d, r.err)
			}
		}
	}

	// Each of the first two takes waits in a statement of the key's lane.
	var first []<-chan result
	for i := 1; i <= 2; i++ {
		first = append(first, goTake(t.Context(), s, "k", rates))
		await(func() bool { return len(log.waited()) == i })
	}
	queued := make([]<-chan result, 8)
	for i := range queued {
		queued[i] = goTake(t.Context(), s, "k", rates)
	}
	await(func() bool { return pgstore.Queued(s) == 8 })
	kill(2)
	mustFail("first take", first...)
	kill(1)
	mustFail("queued take", queued...)
	if sizes := log.waited(); !slices.Equal(sizes, []int{1, 1, 8}) {
		t.Errorf("the key's batch sizes %v, want [1 1 8]", sizes)
	}
	if n := pgstore.Retried(s); n != 0 {
		t.Errorf("%d batches ran again alone, want none", n)
	}
	release()
	if d, err := s.Take(t.Context(), "k", rates, 1); err != nil || !d.Allowed || d.Remaining != 99 {
		t.Fatalf("Take after the kills = %+v, %v; want admitted with 99 left", d, err)
	}
}

// TestBatchClose closes a Store while it has batches in flight, the shared
// lane's (held before they are sent) and a busy key's (waiting in the
// server for the key another transaction holds), and a take queued in each
// lane: the queued takes fail with ErrClosed, never applied; Close waits
// for the batches in flight, which are applied; and no goroutine of the
// Store outlives Close.
func TestBatchClose(t *testing.T) {
	pool := sharedPool(t)
	before := runtime.NumGoroutine()
	s, table := newStore(t, pool, batched)
	log := watchBatches(s)
	rates := mustRates(t, ratelimit.PerHour(10))
	unhold := holdKey(t, pool, table, "busy")
	var waiting []<-chan result
	for i := 1; i <= 2; i++ {
		waiting = append(waiting, goTake(t.Context(), s, "busy", rates))
		await(func() bool { return len(log.waited()) == i })
	}
	queuedBusy := goTake(t.Context(), s, "busy", rates)
	await(func() bool { return pgstore.Queued(s) == 1 })
	first, release := inFlight(t, s, log, rates)
	queued := goTake(t.Context(), s, "k", rates)
	await(func() bool { return pgstore.Queued(s) == 2 })

	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	await(func() bool { // Check is not batched: it never queues
		_, err := s.Check(t.Context(), "other", rates, 1)
		return errors.Is(err, ratelimit.ErrClosed)
	})
	release()
	unhold()
	if err := <-closed; err != nil {
		t.Fatalf("Close = %v", err)
	}
	mustAllow(t, "take in flight", append(first, waiting...)...)
	for what, c := range map[string]<-chan result{"queued take": queued, "queued take of the busy key": queuedBusy} {
		if r := <-c; !errors.Is(r.err, ratelimit.ErrClosed) {
			t.Errorf("%s = %+v, %v; want ErrClosed", what, r.d, r.err)
		}
	}
	open := newStoreOn(t, pool, table)
	for key, want := range map[string]int64{"k": 10, "busy": 8, "first1": 9, "first2": 9} {
		if got := remaining(t, open, key, rates); got != want {
			t.Errorf("%s: Remaining %d, want %d", key, got, want)
		}
	}
	open.Close()
	waitGoroutines(t, before)
}

// TestBatchBusyKey holds key "held" in another transaction while 16
// goroutines take on 64 other keys and takes of "held" pile up: every other
// take is decided while the key is held (none waits for it), the takes of
// "held" wait in its lane, one canceled there returns its context's error
// and is never applied, and once the key is released the others are
// admitted, each once.
func TestBatchBusyKey(t *testing.T) {
	const goroutines, each, keys = 16, 20, 64
	pool := sharedPool(t)
	s, table := newStore(t, pool, batched)
	log := watchBatches(s)
	rates := mustRates(t, ratelimit.PerHour(1000))
	release := holdKey(t, pool, table, "held")
	var held []<-chan result
	for i := 1; i <= 2; i++ { // the key's lane's two statements
		held = append(held, goTake(t.Context(), s, "held", rates))
		await(func() bool { return len(log.waited()) == i })
	}
	ctx, cancel := context.WithCancel(t.Context())
	canceled := goTake(ctx, s, "held", rates)
	await(func() bool { return pgstore.Queued(s) == 1 })
	for range 3 {
		held = append(held, goTake(t.Context(), s, "held", rates))
	}
	await(func() bool { return pgstore.Queued(s) == 4 })

	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				key := fmt.Sprint("other", (g*each+i)%keys)
				if d, err := s.Take(t.Context(), key, rates, 1); err != nil || !d.Allowed {
					t.Errorf("Take %s while held = %+v, %v", key, d, err)
					return
				}
			}
		})
	}
	wg.Wait()
	cancel()
	if r := <-canceled; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("Take canceled in the key's lane = %+v, %v; want context.Canceled", r.d, r.err)
	}
	if n := pgstore.Queued(s); n != 3 {
		t.Errorf("Queued after the cancel = %d, want the 3 takes of the held key", n)
	}
	release()
	mustAllow(t, "take of the held key", held...)
	if got := remaining(t, s, "held", rates); got != 1000-5 {
		t.Errorf("held: Remaining %d after 5 takes (and 1 canceled), want %d", got, 1000-5)
	}
	for k := range keys {
		if got := remaining(t, s, fmt.Sprint("other", k), rates); got != 1000-goroutines*each/keys {
			t.Errorf("other%d: Remaining %d, want %d", k, got, 1000-goroutines*each/keys)
		}
	}
}

// TestBatchModelAgreement holds every decision of the batch take function
// to the Go model's, as TestModelAgreement holds the take functions': on
// random batches of one to twelve takes over four keys (a key often more
// than once in a batch: its first take is decided with the other keys'
// first, its later ones after them, one at a time), of weights 0 to
// limit+1, under the rates of rateLists (changed now and then, which
// extends or shortens what the log keeps), each take at its own time,
// mostly forward but at times before its key's newest row (which the log
// slides into place), with sweeps of the log between batches (which
// delete a row only once no rate of its key's last take counts it). Each
// key's takes are applied to its model in their order in the batch.
func TestBatchModelAgreement(t *testing.T) {
	pool := sharedPool(t)
	lists := rateLists(t)
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			t.Parallel()
			for seed := range uint64(3) {
				clock := core.NewFakeClock(10000)
				s, _ := newStore(t, pool, pgstore.WithAlgorithm(alg), pgstore.WithClock(clock))
				rng := rand.New(rand.NewPCG(seed, 11))
				keys := []string{"a", "b", "c", "d"}
				models, current := map[string]*model{}, map[string]ratelimit.Rates{}
				for _, k := range keys {
					models[k], current[k] = newModel(alg), lists[rng.IntN(len(lists))]
				}
				history := []string{}
				for step := range 150 {
					clock.Advance(time.Duration(rng.Int64N(300)) * time.Millisecond)
					bkeys, brates, ns, nows := randomTakes(rng, 1+rng.IntN(12), keys, current, lists, clock.Now(), 2000)
					if alg == ratelimit.SlidingWindowLog && rng.IntN(4) == 0 {
						// A sweep deletes only what no later take counts:
						// none is stamped before the sweep's time. (Under the
						// counter, a state rolled to a window and counting
						// nothing is swept, and a take stamped before that
						// window then reports another reset-after.)
						now := clock.Now()
						clock.Set(now - 2000)
						if _, err := pgstore.Sweep(t.Context(), s); err != nil {
							t.Fatalf("seed %d step %d: Sweep: %v", seed, step, err)
						}
						clock.Set(now)
					}
					got, errs, err := pgstore.TakeBatch(t.Context(), s, bkeys, brates, ns, nows)
					if err != nil {
						t.Fatalf("seed %d step %d: the batch failed: %v", seed, step, err)
					}
					for i, k := range bkeys {
						want := models[k].decide(t, brates[i], nows[i], ns[i], true)
						what := fmt.Sprintf("take %d of %d units under %s at %d under %v", i, ns[i], k, nows[i], brates[i])
						history = append(history, fmt.Sprintf("%s: %v", what, want))
						if errs[i] != nil || got[i] != want {
							t.Fatalf("seed %d step %d, after\n\t%s\n%s = %v, %v; want %v", seed, step,
								strings.Join(history[max(len(history)-12, 0):len(history)-1], "\n\t"), what, got[i], errs[i], want)
						}
					}
				}
			}
		})
	}
}

// randomTakes returns size takes for TakeBatch (take i is ns[i] units
// under bkeys[i] against brates[i] at nows[i]) at now over keys, each of 0
// to its key's smallest limit + 1 units against the key's rates in
// current, which it changes to one of lists now and then; with back > 0,
// one take in eight is stamped up to back ms before now.
func randomTakes(rng *rand.Rand, size int, keys []string, current map[string]ratelimit.Rates, lists []ratelimit.Rates, now, back int64) (bkeys []string, brates []ratelimit.Rates, ns, nows []int64) {
	bkeys, brates = make([]string, size), make([]ratelimit.Rates, size)
	ns, nows = make([]int64, size), make([]int64, size)
	for i := range size {
		k := keys[rng.IntN(len(keys))]
		if rng.IntN(15) == 0 {
			current[k] = lists[rng.IntN(len(lists))]
		}
		bkeys[i], brates[i] = k, current[k]
		ns[i] = rng.Int64N(current[k].Smallest().Limit + 2)
		nows[i] = now
		if back > 0 && rng.IntN(8) == 0 {
			nows[i] -= rng.Int64N(back) // before what the key holds
		}
	}
	return bkeys, brates, ns, nows
}

// TestBatchLogEdges holds the log's batch takes to the model at the edges
// of what the log keeps: a row exactly the largest interval old still
// counts (a take deletes only older rows), and a row whose key's rates
// grew is kept, and not swept, for as long as the larger interval counts
// it.
func TestBatchLogEdges(t *testing.T) {
	clock := core.NewFakeClock(0)
	s, _ := newStore(t, sharedPool(t), pgstore.WithClock(clock))
	short := mustRates(t, ratelimit.PerSecond(2))
	long := mustRates(t, ratelimit.Rate{Limit: 3, Interval: 2 * time.Second})
	models := map[string]*model{"a": newModel(ratelimit.SlidingWindowLog), "b": newModel(ratelimit.SlidingWindowLog)}
	for i, step := range []struct {
		key   string
		rates ratelimit.Rates
		n     int64
		now   int64
		sweep bool // a sweep at now before the take
	}{
		{"a", short, 1, 0, false},
		{"a", short, 1, 1000, false},
		{"a", short, 1, 1000, false}, // the row at 0 counts: denied
		{"b", short, 1, 0, false},
		{"b", long, 0, 500, false}, // the row at 0 is kept to 2000
		{"b", long, 3, 2000, true}, // and counts at 2000: denied
	} {
		clock.Set(step.now)
		if step.sweep {
			if _, err := pgstore.Sweep(t.Context(), s); err != nil {
				t.Fatal(err)
			}
		}
		got, errs, err := pgstore.TakeBatch(t.Context(), s, []string{step.key}, []ratelimit.Rates{step.rates}, []int64{step.n}, []int64{step.now})
		if err != nil {
			t.Fatal(err)
		}
		if want := models[step.key].decide(t, step.rates, step.now, step.n, true); errs[0] != nil || got[0] != want {
			t.Fatalf("step %d: %d units under %s at %d = %v, %v; want %v", i, step.n, step.key, step.now, got[0], errs[0], want)
		}
	}
}

// TestBatchAlgorithmChange takes on one key of one table through batching
// Stores of GCRA and the counter in turn: a key's state written under
// another algorithm is no history, and a state written by a batch is the
// next batch's, as the model has it.
func TestBatchAlgorithmChange(t *testing.T) {
	pool := sharedPool(t)
	clock := core.NewFakeClock(0)
	gcra, table := newStore(t, pool, pgstore.WithAlgorithm(ratelimit.GCRA), pgstore.WithClock(clock))
	stores := map[ratelimit.Algorithm]*pgstore.Store{
		ratelimit.GCRA:                 gcra,
		ratelimit.SlidingWindowCounter: newStoreOn(t, pool, table, pgstore.WithAlgorithm(ratelimit.SlidingWindowCounter), pgstore.WithClock(clock)),
	}
	rates := []ratelimit.Rates{mustRates(t, ratelimit.PerSecond(5))}
	var last ratelimit.Algorithm
	var m *model
	for i, alg := range []ratelimit.Algorithm{ratelimit.GCRA, ratelimit.GCRA, ratelimit.SlidingWindowCounter, ratelimit.SlidingWindowCounter,
		ratelimit.GCRA, ratelimit.GCRA, ratelimit.SlidingWindowCounter, ratelimit.SlidingWindowCounter} {
		if alg != last {
			m, last = newModel(alg), alg
		}
		now := clock.Advance(100 * time.Millisecond)
		got, errs, err := pgstore.TakeBatch(t.Context(), stores[alg], []string{"k"}, rates, []int64{2}, []int64{now})
		if err != nil {
			t.Fatal(err)
		}
		if want := m.decide(t, rates[0], now, 2, true); errs[0] != nil || got[0] != want {
			t.Fatalf("take %d, %s at %d = %v, %v; want %v", i, alg, now, got[0], errs[0], want)
		}
	}
}
