//! The producer partitioner against Kafka's own expectations: `murmur2` values from Kafka's
//! `UtilsTest`, the scenarios of `BuiltInPartitionerTest`, and property checks (plain loops)
//! for the rules the module documents.

use sandbox_core::partitioner::{
    key_moves, murmur2, partition_for_key, random_partition, record_partition, to_positive,
    PartitionStatus, PartitionerConfig, RecordPartition, StickyPartitioner,
};
use sandbox_core::rng::SimRng;

/// apache/kafka `clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java`,
/// `testMurmur2`: the exact inputs (`String.getBytes()`, ASCII) and expected values.
const KAFKA_UTILS_TEST_MURMUR2: [(&[u8], i32); 6] = [
    (b"21", -973932308),
    (b"foobar", -790332482),
    (b"a-little-bit-long-string", -985981536),
    (b"a-little-bit-longer-string", -1486304829),
    (
        b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
        -58897971,
    ),
    (b"abc", 479470107), // Java: new byte[] {'a', 'b', 'c'}
];

#[test]
fn murmur2_matches_kafka_utils_test() {
    for (input, expected) in KAFKA_UTILS_TEST_MURMUR2 {
        assert_eq!(
            murmur2(input),
            expected,
            "murmur2({:?})",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn partition_for_key_is_to_positive_murmur2_mod_n_on_kafka_vectors() {
    // BuiltInPartitioner.partitionForKey = toPositive(murmur2(key)) % numPartitions, applied
    // to the UtilsTest hashes.
    for (input, hash) in KAFKA_UTILS_TEST_MURMUR2 {
        for n in 1..=32 {
            assert_eq!(partition_for_key(input, n), Some((hash & 0x7fff_ffff) % n));
        }
    }
}

/// Key -> partition values printed by Kafka's `Utils.murmur2` and
/// `BuiltInPartitioner.partitionForKey`, compiled and run on OpenJDK 17 in a throwaway
/// harness: (key, murmur2, partition of 3, of 6, of 10). The 10-partition column for "a" to
/// "e" (4, 6, 4, 3, 4) also matches a published Spock spec that calls
/// `BuiltInPartitioner.partitionForKey` itself.
const JDK_KEY_PARTITIONS: [(&str, i32, i32, i32, i32); 12] = [
    ("", 275646681, 0, 3, 1),
    ("a", -1563381124, 1, 4, 4),
    ("b", -1853091852, 2, 2, 6),
    ("c", -1877468854, 1, 4, 4),
    ("d", 284602193, 2, 5, 3),
    ("e", -967466694, 2, 2, 4),
    ("key", -1079937367, 1, 1, 1),
    ("order-1", 1221710326, 1, 4, 6),
    ("order-2", -1055499005, 0, 3, 3),
    ("order-3", -849583649, 0, 3, 9),
    ("customer-42", -542987495, 0, 3, 3),
    ("P-4711", -1567926821, 0, 3, 7),
];

#[test]
fn key_partitions_match_the_java_client() {
    for (key, hash, p3, p6, p10) in JDK_KEY_PARTITIONS {
        let key = key.as_bytes();
        assert_eq!(murmur2(key), hash, "murmur2({key:?})");
        assert_eq!(partition_for_key(key, 3), Some(p3));
        assert_eq!(partition_for_key(key, 6), Some(p6));
        assert_eq!(partition_for_key(key, 10), Some(p10));
    }
}

/// SplitMix64, written the same way in the JDK harness, to generate identical inputs there.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[test]
fn murmur2_agrees_with_the_jdk_on_5000_random_inputs() {
    // 5000 arrays of lengths 0..67 (every tail shape, bytes >= 0x80 that Java sign-extends),
    // folded as Java folds them: fold = fold*31 + murmur2, fold = fold*31 + partition.
    // The expected fold was printed by the JDK harness running Kafka's algorithm.
    let mut state = 0x5EED_u64;
    let mut fold = 0i32;
    for i in 0..5000 {
        let data: Vec<u8> = (0..i % 68)
            .map(|_| (splitmix(&mut state) >> 56) as u8)
            .collect();
        let n = (i % 12) + 1;
        let partition = partition_for_key(&data, n).expect("positive count");
        fold = fold.wrapping_mul(31).wrapping_add(murmur2(&data));
        fold = fold.wrapping_mul(31).wrapping_add(partition);
    }
    assert_eq!(fold, -1040471393);

    // High bytes, every length up to 7, values from the same harness.
    let high = [0xff, 0x80, 0x7f, 0x00, 0xfe, 0x81, 0xc3];
    let expected = [
        275646681,
        -311467685,
        -442788720,
        968261134,
        -1059522114,
        -1958495739,
        2053657883,
        605892741,
    ];
    for (len, want) in expected.into_iter().enumerate() {
        assert_eq!(murmur2(&high[..len]), want, "length {len}");
    }
}

#[test]
fn to_positive_clears_the_sign_bit_and_is_never_negative() {
    assert_eq!(to_positive(i32::MIN), 0);
    assert_eq!(to_positive(-1), i32::MAX);
    assert_eq!(to_positive(0), 0);
    assert_eq!(to_positive(i32::MAX), i32::MAX);
    let mut state = 1u64;
    for _ in 0..100_000 {
        let n = splitmix(&mut state) as i32;
        let p = to_positive(n);
        assert!(p >= 0);
        if n >= 0 {
            assert_eq!(p, n);
        } else {
            assert_eq!(p, n.wrapping_add(i32::MIN));
        }
    }
}

#[test]
fn partition_for_key_is_always_in_range_and_rejects_non_positive_counts() {
    let mut state = 7u64;
    for i in 0..20_000u32 {
        let len = (i % 40) as usize;
        let key: Vec<u8> = (0..len).map(|_| splitmix(&mut state) as u8).collect();
        for n in [1, 2, 3, 7, 16, 100, 1000, i32::MAX] {
            let p = partition_for_key(&key, n).expect("positive count");
            assert!((0..n).contains(&p), "{p} not in 0..{n}");
        }
    }
    for n in [0, -1, -12, i32::MIN] {
        assert_eq!(partition_for_key(b"key", n), None);
        assert_eq!(key_moves(b"key", n, 3), None);
        assert_eq!(key_moves(b"key", 3, n), None);
    }
}

#[test]
fn key_moves_reports_old_and_new_partition() {
    // The UI's example: "order-1" is on partition 1 of 3 and partition 4 of 6.
    assert_eq!(key_moves(b"order-1", 3, 6), Some((1, 4)));
    assert_eq!(key_moves(b"key", 3, 6), None); // 1 either way
    assert_eq!(key_moves(b"order-1", 6, 6), None);

    let mut state = 11u64;
    for i in 0..5_000u32 {
        let key: Vec<u8> = (0..i % 24).map(|_| splitmix(&mut state) as u8).collect();
        for (before, after) in [(1, 2), (3, 6), (3, 4), (6, 12), (5, 3), (12, 48)] {
            let old = partition_for_key(&key, before).expect("positive");
            let new = partition_for_key(&key, after).expect("positive");
            let moved = key_moves(&key, before, after);
            assert_eq!(moved, (old != new).then_some((old, new)));
            if after == 2 * before {
                // Doubling splits each partition in two: a key stays or moves up by `before`.
                assert!(new == old || new == old + before);
            }
        }
    }
}

#[test]
fn record_partition_follows_kafka_producer_partition_order() {
    let n = 6;
    assert_eq!(
        record_partition(Some(9), Some(b"order-1"), false, n),
        Some(RecordPartition::Explicit(9))
    );
    assert_eq!(
        record_partition(None, Some(b"order-1"), false, n),
        Some(RecordPartition::Keyed(4))
    );
    assert_eq!(
        record_partition(None, Some(b"order-1"), true, n),
        Some(RecordPartition::Sticky)
    );
    assert_eq!(
        record_partition(None, None, false, n),
        Some(RecordPartition::Sticky)
    );
    assert_eq!(record_partition(None, Some(b"k"), false, 0), None);
    assert_eq!(
        record_partition(None, None, false, 0),
        Some(RecordPartition::Sticky)
    );
}

fn led(ids: &[i32]) -> Vec<PartitionStatus> {
    ids.iter().map(|&p| PartitionStatus::new(p, true)).collect()
}

fn config(batch_size: i32, adaptive: bool) -> PartitionerConfig {
    PartitionerConfig {
        batch_size,
        adaptive_partitioning_enable: adaptive,
        ..PartitionerConfig::default()
    }
}

#[test]
fn default_config_is_kafkas() {
    let c = PartitionerConfig::default();
    assert_eq!(c.batch_size, 16384);
    assert!(c.adaptive_partitioning_enable);
    assert_eq!(c.availability_timeout_ms, 0);
    assert!(!c.ignore_keys);
}

#[test]
fn sticky_partitioning_as_in_built_in_partitioner_test() {
    // BuiltInPartitionerTest.testStickyPartitioning: a sticky batch size of 3 bytes.
    let partitions = led(&[0, 1, 2]);
    let mut rng = SimRng::new(42);
    let mut sticky = StickyPartitioner::new(&config(3, true));
    let part_a = sticky
        .peek_current_partition(&partitions, &mut rng)
        .unwrap();
    for _ in 0..2 {
        sticky.update_partition_info(1, true, &partitions, &mut rng);
        assert_eq!(
            sticky.peek_current_partition(&partitions, &mut rng),
            Some(part_a)
        );
    }
    // The third byte triggers a new draw. Kafka's test mocks the random source with a
    // counter so the new partition differs; here it is the one the next draw selects.
    let mut expected_rng = rng.clone();
    let expected = sticky.next_partition(random_partition(&mut expected_rng), &partitions);
    sticky.update_partition_info(1, true, &partitions, &mut rng);
    assert_eq!(sticky.current().map(|c| c.produced_bytes), Some(0));
    assert_eq!(
        sticky.peek_current_partition(&partitions, &mut rng),
        expected
    );
    assert_eq!(rng, expected_rng);

    // Switching works with one partition too.
    let single = led(&[0]);
    let mut sticky_b = StickyPartitioner::new(&config(1, true));
    for _ in 0..10 {
        assert_eq!(sticky_b.peek_current_partition(&single, &mut rng), Some(0));
        sticky_b.update_partition_info(1, true, &single, &mut rng);
    }
}

#[test]
fn switches_exactly_when_batch_size_bytes_have_been_produced() {
    let partitions = led(&[0, 1, 2, 3, 4, 5]);
    for seed in 0..20u64 {
        let mut rng = SimRng::new(seed);
        let batch_size = 1000 + (seed as i32) * 997;
        let mut sticky = StickyPartitioner::new(&config(batch_size, seed % 2 == 0));
        sticky.peek_current_partition(&partitions, &mut rng);
        let mut produced = 0i32;
        let mut switches = 0;
        let mut seen = [false; 6];
        for _ in 0..5_000 {
            let bytes = rng.range(1, 700) as i32;
            let before = rng.clone();
            sticky.update_partition_info(bytes, true, &partitions, &mut rng);
            produced += bytes;
            if produced >= batch_size {
                switches += 1;
                produced = 0;
                assert_ne!(rng, before, "a switch draws a random number");
            } else {
                assert_eq!(rng, before, "no draw before batch.size bytes");
            }
            let current = sticky.current().expect("chosen");
            assert_eq!(current.produced_bytes, produced);
            seen[current.partition as usize] = true;
        }
        assert!(switches > 0);
        assert!(
            seen.iter().all(|&s| s),
            "seed {seed}: every partition used: {seen:?}"
        );
    }
}

#[test]
fn switch_waits_for_full_batches_but_not_past_twice_batch_size() {
    let partitions = led(&[0, 1, 2]);
    let mut rng = SimRng::new(5);
    let mut sticky = StickyPartitioner::new(&config(100, false));
    sticky.peek_current_partition(&partitions, &mut rng);
    sticky.update_partition_info(150, false, &partitions, &mut rng);
    assert_eq!(
        sticky.current().unwrap().produced_bytes,
        150,
        "switch put off"
    );
    // RecordAccumulator.partitionChanged completes a put-off switch with 0 bytes.
    sticky.update_partition_info(0, true, &partitions, &mut rng);
    assert_eq!(sticky.current().unwrap().produced_bytes, 0, "switched");

    sticky.update_partition_info(199, false, &partitions, &mut rng);
    assert_eq!(sticky.current().unwrap().produced_bytes, 199);
    sticky.update_partition_info(1, false, &partitions, &mut rng);
    assert_eq!(
        sticky.current().unwrap().produced_bytes,
        0,
        "2 x batch.size forces it"
    );
}

#[test]
fn batch_size_edge_cases_do_not_panic() {
    let partitions = led(&[0, 1]);
    let mut rng = SimRng::new(9);
    // batch.size=0 means batches of 1 byte (KafkaProducer clamps it).
    let mut zero = StickyPartitioner::new(&config(0, true));
    assert_eq!(zero.sticky_batch_size(), 1);
    zero.peek_current_partition(&partitions, &mut rng);
    zero.update_partition_info(1, true, &partitions, &mut rng);
    assert_eq!(zero.current().unwrap().produced_bytes, 0);

    // Java's `stickyBatchSize * 2` wraps negative: every append switches.
    let mut huge = StickyPartitioner::new(&config(i32::MAX, true));
    huge.peek_current_partition(&partitions, &mut rng);
    huge.update_partition_info(1, false, &partitions, &mut rng);
    assert_eq!(huge.current().unwrap().produced_bytes, 0);

    // Nothing chosen yet: the update is ignored. No partitions: nothing to choose.
    let mut fresh = StickyPartitioner::new(&PartitionerConfig::default());
    fresh.update_partition_info(i32::MAX, true, &partitions, &mut rng);
    assert_eq!(fresh.current(), None);
    assert_eq!(fresh.peek_current_partition(&[], &mut rng), None);
    assert_eq!(fresh.next_partition(-5, &[]), None);
    fresh.update_partition_info(i32::MAX, true, &[], &mut rng);

    // Produced bytes wrap like Java's AtomicInteger instead of overflowing.
    let mut wrap = StickyPartitioner::new(&config(i32::MAX / 2, true));
    wrap.peek_current_partition(&partitions, &mut rng);
    wrap.update_partition_info(i32::MAX / 2 - 1, false, &partitions, &mut rng);
    wrap.update_partition_info(i32::MAX, false, &partitions, &mut rng);
    assert!(wrap.current().is_some());
}

#[test]
fn unavailable_partitions_as_in_built_in_partitioner_test() {
    // BuiltInPartitionerTest.unavailablePartitionsTest: topic A's partition 1, topic B's
    // partition 0 and topic C's only partition have no leader.
    let mut rng = SimRng::new(3);
    let topic_a = vec![
        PartitionStatus::new(0, true),
        PartitionStatus::new(1, false),
        PartitionStatus::new(2, true),
    ];
    let mut a = StickyPartitioner::new(&config(1, true));
    let first = a.peek_current_partition(&topic_a, &mut rng).unwrap();
    assert_ne!(first, 1);
    let mut found_another = false;
    for _ in 0..100 {
        a.update_partition_info(1, true, &topic_a, &mut rng);
        let p = a.peek_current_partition(&topic_a, &mut rng).unwrap();
        assert_ne!(p, 1);
        found_another |= p != first;
    }
    assert!(found_another);

    let topic_b = vec![
        PartitionStatus::new(0, false),
        PartitionStatus::new(1, true),
    ];
    let mut b = StickyPartitioner::new(&config(1, true));
    for _ in 0..100 {
        assert_eq!(b.peek_current_partition(&topic_b, &mut rng), Some(1));
        b.update_partition_info(1, true, &topic_b, &mut rng);
    }

    // No partition available: Kafka still picks one among all partitions.
    let topic_c = vec![PartitionStatus::new(0, false)];
    let mut c = StickyPartitioner::new(&config(1, true));
    assert_eq!(c.peek_current_partition(&topic_c, &mut rng), Some(0));
    c.update_partition_info(1, true, &topic_c, &mut rng);
    assert_eq!(c.peek_current_partition(&topic_c, &mut rng), Some(0));
}

#[test]
fn never_picks_a_partition_without_leader() {
    for seed in 0..50u64 {
        let mut rng = SimRng::new(seed);
        let leaderless = (seed % 6) as i32;
        let mut partitions: Vec<PartitionStatus> = (0..6)
            .map(|p| PartitionStatus {
                queued_batches: Some(((p * 7 + seed as i32) % 5) + 1),
                ..PartitionStatus::new(p, p != leaderless)
            })
            .collect();
        let mut sticky = StickyPartitioner::new(&config(10, seed % 2 == 0));
        for step in 0..500 {
            if step % 50 == 0 {
                // Queues move between ready checks; the leaderless one never counts.
                for p in &mut partitions {
                    p.queued_batches = Some(rng.range(0, 6) as i32);
                }
                sticky.update_load_stats_from_queues(&partitions);
                if let Some(stats) = sticky.load_stats() {
                    assert!(!stats.partition_ids.contains(&leaderless));
                }
            }
            let p = sticky
                .peek_current_partition(&partitions, &mut rng)
                .unwrap();
            assert_ne!(p, leaderless, "seed {seed} step {step}");
            assert!((0..6).contains(&p));
            sticky.update_partition_info(rng.range(1, 20) as i32, true, &partitions, &mut rng);
        }
    }
}

#[test]
fn adaptive_frequencies_as_in_built_in_partitioner_test() {
    // BuiltInPartitionerTest.adaptivePartitionsTest: queue sizes {5, 0, 3, 0, 1}, the random
    // source a counter from 0; over two cycles of the range each partition is chosen
    // exactly 2 * (6 - queue size) times.
    let queue_sizes = [5, 0, 3, 0, 1];
    let ids = [0, 1, 2, 3, 4];
    let partitions = led(&ids);
    let mut sticky = StickyPartitioner::new(&config(1, true));
    sticky.update_partition_load_stats(Some(&queue_sizes), &ids, queue_sizes.len());
    let stats = sticky.load_stats().expect("adaptive");
    assert_eq!(stats.cumulative_frequency_table, vec![1, 7, 10, 16, 21]);
    let range_end = sticky.load_stats_range_end().unwrap();
    assert_eq!(range_end, 21);

    let mut frequencies = [0; 5];
    for random in 0..range_end * 2 {
        let p = sticky.next_partition(random, &partitions).unwrap();
        frequencies[p as usize] += 1;
    }
    let expected: Vec<i32> = queue_sizes.iter().map(|q| (6 - q) * 2).collect();
    assert_eq!(frequencies.to_vec(), expected);
}

#[test]
fn adaptive_choice_avoids_the_long_queue() {
    let mut partitions = led(&[0, 1, 2, 3]);
    for (p, q) in partitions.iter_mut().zip([0, 1, 20, 0]) {
        p.queued_batches = Some(q);
    }
    let mut counts = [[0u32; 4]; 2];
    for (i, adaptive) in [true, false].into_iter().enumerate() {
        let mut rng = SimRng::new(2024);
        let mut sticky = StickyPartitioner::new(&config(100, adaptive));
        sticky.update_load_stats_from_queues(&partitions);
        assert_eq!(sticky.load_stats().is_some(), adaptive);
        for _ in 0..20_000 {
            let p = sticky
                .peek_current_partition(&partitions, &mut rng)
                .unwrap();
            counts[i][p as usize] += 1;
            sticky.update_partition_info(100, true, &partitions, &mut rng);
        }
    }
    let [adaptive, uniform] = counts;
    // Weights 21, 20, 1, 21 out of 63: partition 2 gets about 1/63 of the switches.
    assert!(adaptive[2] * 10 < adaptive[0], "{adaptive:?}");
    assert!(adaptive[2] * 10 < adaptive[3], "{adaptive:?}");
    assert!(adaptive[2] > 0, "still possible: {adaptive:?}");
    // Adaptive off: uniform, the long queue gets its quarter.
    assert!(
        uniform.iter().all(|&c| (4_000..6_000).contains(&c)),
        "{uniform:?}"
    );
}

#[test]
fn load_stats_follow_record_accumulator_rules() {
    let with_queues = |sizes: &[Option<i32>]| -> Vec<PartitionStatus> {
        sizes
            .iter()
            .enumerate()
            .map(|(p, &q)| PartitionStatus {
                queued_batches: q,
                ..PartitionStatus::new(p as i32, true)
            })
            .collect()
    };
    let mut sticky = StickyPartitioner::new(&config(16384, true));

    // Not every partition has a queue yet: uniform.
    sticky.update_load_stats_from_queues(&with_queues(&[Some(1), None, Some(0)]));
    assert_eq!(sticky.load_stats(), None);
    // All queues equal: uniform.
    sticky.update_load_stats_from_queues(&with_queues(&[Some(2), Some(2), Some(2)]));
    assert_eq!(sticky.load_stats(), None);
    // A single partition: uniform.
    sticky.update_load_stats_from_queues(&with_queues(&[Some(4)]));
    assert_eq!(sticky.load_stats(), None);
    // Unequal: weights max + 1 - size = 3, 1, 2.
    sticky.update_load_stats_from_queues(&with_queues(&[Some(0), Some(2), Some(1)]));
    let stats = sticky.load_stats().unwrap();
    assert_eq!(stats.cumulative_frequency_table, vec![3, 4, 6]);
    assert_eq!(stats.partition_ids, vec![0, 1, 2]);

    // Equal queues but a partition without leader: adaptive over the other two.
    let mut partitions = with_queues(&[Some(1), Some(1), Some(1)]);
    partitions[1].has_leader = false;
    sticky.update_load_stats_from_queues(&partitions);
    let stats = sticky.load_stats().unwrap();
    assert_eq!(stats.cumulative_frequency_table, vec![1, 2]);
    assert_eq!(stats.partition_ids, vec![0, 2]);

    // Adaptive off: never any statistics.
    let mut off = StickyPartitioner::new(&config(16384, false));
    off.update_load_stats_from_queues(&with_queues(&[Some(0), Some(9)]));
    assert_eq!(off.load_stats(), None);

    // Input order does not matter: queues are visited by partition number.
    let mut reversed = with_queues(&[Some(0), Some(2), Some(1)]);
    reversed.reverse();
    sticky.update_load_stats_from_queues(&reversed);
    assert_eq!(sticky.load_stats().unwrap().partition_ids, vec![0, 1, 2]);
}

#[test]
fn availability_timeout_leaves_out_slow_leaders() {
    let mut partitions: Vec<PartitionStatus> = (0..3)
        .map(|p| PartitionStatus {
            queued_batches: Some(1),
            leader_undrained_ms: Some(0),
            ..PartitionStatus::new(p, true)
        })
        .collect();
    partitions[1].leader_undrained_ms = Some(5_000);

    // Timeout 0 (the default): latency is ignored, all equal, uniform.
    let mut off = StickyPartitioner::new(&PartitionerConfig::default());
    off.update_load_stats_from_queues(&partitions);
    assert_eq!(off.load_stats(), None);

    let slow_config = PartitionerConfig {
        availability_timeout_ms: 1_000,
        ..PartitionerConfig::default()
    };
    let mut sticky = StickyPartitioner::new(&slow_config);
    sticky.update_load_stats_from_queues(&partitions);
    let stats = sticky.load_stats().unwrap();
    assert_eq!(stats.partition_ids, vec![0, 2]);
    let mut rng = SimRng::new(77);
    for _ in 0..1_000 {
        assert_ne!(
            sticky.peek_current_partition(&partitions, &mut rng),
            Some(1)
        );
        sticky.update_partition_info(16384, true, &partitions, &mut rng);
    }

    // Exactly at the timeout is not slow (Kafka compares with `>`).
    partitions[1].leader_undrained_ms = Some(1_000);
    sticky.update_load_stats_from_queues(&partitions);
    assert_eq!(sticky.load_stats(), None);

    // Every leader slow: no eligible partition, so uniform again.
    for p in &mut partitions {
        p.leader_undrained_ms = Some(2_000);
    }
    sticky.update_load_stats_from_queues(&partitions);
    assert_eq!(sticky.load_stats(), None);

    // Kafka's slot reuse: the slow partition 1's slot goes to partition 2, whose queue is
    // empty, so partition 2 is weighted with partition 1's queue length (7), not 0.
    let mut quirk: Vec<PartitionStatus> = (0..3)
        .map(|p| PartitionStatus {
            queued_batches: Some([3, 7, 0][p as usize]),
            leader_undrained_ms: Some([0, 5_000, 5_000][p as usize]),
            ..PartitionStatus::new(p, true)
        })
        .collect();
    sticky.update_load_stats_from_queues(&quirk);
    let stats = sticky.load_stats().unwrap();
    assert_eq!(stats.partition_ids, vec![0, 2]);
    assert_eq!(
        stats.cumulative_frequency_table,
        vec![5, 6],
        "sizes 3 and 7, max + 1 = 8"
    );
    // An empty queue is never judged slow.
    quirk[1].queued_batches = Some(0);
    sticky.update_load_stats_from_queues(&quirk);
    assert_eq!(sticky.load_stats().unwrap().partition_ids, vec![0, 1, 2]);
}

#[test]
fn odd_queue_sizes_do_not_panic() {
    let ids = [0, 1, 2];
    let partitions = led(&ids);
    let mut sticky = StickyPartitioner::new(&PartitionerConfig::default());
    let mut rng = SimRng::new(1);
    for sizes in [
        [i32::MAX, 0, 0],
        [i32::MIN, i32::MAX, 0],
        [-5, 3, 0],
        [i32::MAX, i32::MAX, i32::MAX - 1],
    ] {
        for length in 0..=4 {
            sticky.update_partition_load_stats(Some(&sizes), &ids, length);
            if let Some(stats) = sticky.load_stats() {
                assert!(stats
                    .cumulative_frequency_table
                    .windows(2)
                    .all(|w| w[0] < w[1]));
            }
            for random in [0, 1, i32::MAX, -1, i32::MIN] {
                if let Some(p) = sticky.next_partition(random, &partitions) {
                    assert!(ids.contains(&p));
                }
            }
            sticky.peek_current_partition(&partitions, &mut rng);
            sticky.update_partition_info(i32::MAX, true, &partitions, &mut rng);
        }
    }
    // Mismatched slices: treated as no statistics.
    sticky.update_partition_load_stats(Some(&[1, 2]), &ids, 2);
    assert_eq!(sticky.load_stats(), None);
}

#[test]
fn same_seed_same_choices_and_state_round_trips_through_serde() {
    let mut partitions = led(&[0, 1, 2, 3, 4]);
    for (i, p) in partitions.iter_mut().enumerate() {
        p.queued_batches = Some(i as i32 % 3);
    }
    let run = |sticky: &mut StickyPartitioner, rng: &mut SimRng, steps: usize| -> Vec<i32> {
        let mut chosen = Vec::new();
        for _ in 0..steps {
            sticky.update_load_stats_from_queues(&partitions);
            chosen.push(sticky.peek_current_partition(&partitions, rng).unwrap());
            sticky.update_partition_info(700, true, &partitions, rng);
        }
        chosen
    };
    let mut a = StickyPartitioner::new(&config(2000, true));
    let mut b = a.clone();
    let (mut rng_a, mut rng_b) = (SimRng::new(99), SimRng::new(99));
    assert_eq!(run(&mut a, &mut rng_a, 300), run(&mut b, &mut rng_b, 300));
    assert_eq!(a, b);

    let json = serde_json::to_string(&a).unwrap();
    let mut restored: StickyPartitioner = serde_json::from_str(&json).unwrap();
    assert_eq!(restored, a);
    let mut rng_c = rng_a.clone();
    assert_eq!(
        run(&mut a, &mut rng_a, 100),
        run(&mut restored, &mut rng_c, 100)
    );
}
