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
