package scan

import "github.com/twmb/franz-go/pkg/kgo"

// keyPartitioner is franz-go's default partitioner: for a keyed record,
// murmur2 of the key with the sign bit cleared, modulo the partition count,
// exactly as the Java client's default partitioner places it.
var keyPartitioner = kgo.StickyKeyPartitioner(nil)

// KeyPartition is the partition the Java client's default partitioner
// (and rewind produce, and franz-go's default) writes key to, among n
// partitions. It is only meaningful for records produced with the
// default partitioner and a key serialised to these exact bytes.
func KeyPartition(key []byte, n int) int32 {
	if n <= 0 {
		return 0
	}
	// The topic name does not enter the hash; a fresh TopicPartitioner
	// keeps no state for keyed records.
	return int32(keyPartitioner.ForTopic("").Partition(&kgo.Record{Key: key}, n))
}
