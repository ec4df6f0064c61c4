package mpstore

import (
	"errors"
	"fmt"
	"io"
)

// openFile opens or creates the store file at path under its lock, checks
// or writes its header, and maps it.
func openFile(path string, lay layout) (_ *lockedFile, data []byte, err error) {
	f, err := openLockedFile(path)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			f.close() // drops the lock too
		}
	}()
	if err = f.lock(); err != nil {
		return nil, nil, fmt.Errorf("mpstore: locking %s: %w", path, err)
	}
	size, err := f.size()
	if err != nil {
		return nil, nil, err
	}
	fresh := size == 0
	if !fresh {
		header := make([]byte, min(size, headerSize))
		if _, err = f.readAt(header, 0); err != nil && !errors.Is(err, io.EOF) {
			return nil, nil, fmt.Errorf("mpstore: reading %s: %w", path, err)
		}
		if fresh, err = checkHeader(path, header, size, lay); err != nil {
			return nil, nil, err
		}
	}
	if fresh {
		// Zero everything, including what a creation that died halfway
		// may have left, then size the file.
		if err = f.truncate(0); err == nil {
			err = f.truncate(lay.size)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("mpstore: sizing %s: %w", path, err)
		}
	}
	// Every page gets its space now, an existing file's too (one created
	// sparse by an older version of this package): a write to a page the
	// file system cannot back would kill the process with SIGBUS.
	if err = f.reserve(lay.size, fresh); err != nil {
		if fresh {
			f.truncate(0) // gives the space back; the next Open creates the file again
		}
		return nil, nil, fmt.Errorf("mpstore: reserving %d bytes for %s: %w", lay.size, path, err)
	}
	if data, err = f.mmap(lay.size); err != nil {
		return nil, nil, fmt.Errorf("mpstore: mapping %s: %w", path, err)
	}
	if fresh {
		if err = catchFault(data, path, func() { writeHeader(data, lay) }); err != nil {
			munmap(data)
			return nil, nil, fmt.Errorf("mpstore: creating %s: %w", path, err)
		}
	}
	if err = f.unlock(); err != nil {
		munmap(data)
		return nil, nil, fmt.Errorf("mpstore: unlocking %s: %w", path, err)
	}
	return f, data, nil
}
