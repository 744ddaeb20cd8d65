use super::*;
use crate::command::Acks;

fn config(props: &[(&str, &str)]) -> Result<ProducerConfig, String> {
    let props: Vec<(String, String)> = props
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ProducerConfig::from_properties(&props)
}

#[test]
fn the_calls_offered_follow_the_transaction_state() {
    let props = vec![("transactional.id".to_string(), "tx".to_string())];
    let tx_config = ProducerConfig::from_properties(&props).expect("valid");
    let mut p = Producer::new(2000, "app".into(), props, tx_config, vec![0]);
    let calls = |p: &Producer| {
        let c = p.calls_allowed();
        [c.send, c.begin, c.commit, c.abort]
    };
    // Before initTransactions() has finished, nothing.
    assert_eq!(calls(&p), [false; 4]);
    p.txn_state = TxnState::Ready;
    assert_eq!(calls(&p), [false, true, false, false]);
    p.txn_state = TxnState::InTransaction;
    assert_eq!(calls(&p), [true, false, true, true]);
    // After a failed batch the transaction can only be aborted.
    p.txn_state = TxnState::AbortableError;
    assert_eq!(calls(&p), [false, false, false, true]);
    p.txn_state = TxnState::Committing;
    assert_eq!(calls(&p), [false; 4]);
    // A fenced zombie or a crashed process offers nothing.
    p.txn_state = TxnState::InTransaction;
    p.error = Some("PRODUCER_FENCED".into());
    assert_eq!(calls(&p), [false; 4]);
    p.error = None;
    p.crash();
    assert_eq!(calls(&p), [false; 4]);
    // A plain producer sends whenever it is alive, and has no transaction calls.
    let plain = Producer::new(
        2001,
        "plain".into(),
        Vec::new(),
        config(&[]).expect("valid"),
        vec![0],
    );
    assert_eq!(calls(&plain), [true, false, false, false]);
}

#[test]
fn defaults_are_kafka_4s() {
    let c = config(&[]).expect("defaults are valid");
    assert_eq!(c.acks, Acks::All);
    assert!(c.idempotent);
    assert_eq!(c.linger_ms, 5, "KIP-1030");
    assert_eq!(c.batch_size, 16384);
    assert_eq!(c.max_in_flight, 5);
    assert_eq!(c.retries, i64::from(i32::MAX));
    assert_eq!(c.request_timeout_ms, 30_000);
    assert_eq!(c.delivery_timeout_ms, 120_000);
    assert_eq!(c.transactional_id, None);
}

#[test]
fn idempotence_yields_to_conflicting_configs_unless_asked_for() {
    // Left at its default, idempotence is quietly off with acks=1 (ProducerConfig 3.2+).
    assert!(!config(&[("acks", "1")]).expect("valid").idempotent);
    assert!(!config(&[("retries", "0")]).expect("valid").idempotent);
    // Asked for explicitly, the conflict is an error.
    let e = config(&[("acks", "1"), ("enable.idempotence", "true")]).expect_err("conflict");
    assert!(e.contains("acks must be set to all"), "{e}");
    let e = config(&[
        ("max.in.flight.requests.per.connection", "6"),
        ("enable.idempotence", "true"),
    ])
    .expect_err("conflict");
    assert!(e.contains("at most 5"), "{e}");
    // A transactional producer must be idempotent.
    let e = config(&[("transactional.id", "t"), ("enable.idempotence", "false")])
        .expect_err("conflict");
    assert!(e.contains("transactional.id"), "{e}");
    let e = config(&[("transactional.id", "t"), ("acks", "0")]).expect_err("conflict");
    assert!(e.contains("acks must be set to all"), "{e}");
}

#[test]
fn compression_shrinks_batches_so_more_records_fit() {
    assert!(compression_ratio("gzip") < compression_ratio("lz4"));
    assert!(compression_ratio("lz4") < compression_ratio("none"));
    assert_eq!(compression_ratio("none"), 1.0);
}
