package redisstore

// Pipelined returns how many batches of more than one call s has formed.
func Pipelined(s *Store) int64 {
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	return s.batch.pipelined
}

// Queued returns how many calls wait in s's queue for a batch.
func Queued(s *Store) int {
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	return len(s.batch.queue)
}

// BlockKey returns the Redis key of key's block state in s.
func BlockKey(s *Store, key string) string { return s.blockKey(s.key(key)) }
