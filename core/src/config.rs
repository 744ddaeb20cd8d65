//! Kafka configs the simulation honours, under Kafka's names and with Kafka's defaults
//! (`ServerConfigs`, `ReplicationConfigs`, `TopicConfig`, `QuorumConfig` in apache/kafka).

/// Where a config can be set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// A topic config (a broker-wide default of the same meaning may exist).
    Topic,
    /// A broker config, settable cluster-wide with `--entity-default` where Kafka allows it.
    Broker,
}

/// One config: its name, default, scope, whether it can change on a running cluster, and what
/// it means to a learner.
#[derive(Clone, Copy, Debug)]
pub struct ConfigDef {
    pub name: &'static str,
    pub default: &'static str,
    pub scope: Scope,
    pub dynamic: bool,
    pub meaning: &'static str,
}

pub const CONFIGS: &[ConfigDef] = &[
    ConfigDef {
        name: "min.insync.replicas",
        default: "1",
        scope: Scope::Topic,
        dynamic: true,
        meaning: "With acks=all, a write needs at least this many in-sync replicas; below it the \
                  leader refuses with NOT_ENOUGH_REPLICAS and the HW stops moving.",
    },
    ConfigDef {
        name: "unclean.leader.election.enable",
        default: "false",
        scope: Scope::Topic,
        dynamic: true,
        meaning: "Lets an out-of-sync replica become leader when no in-sync one is alive: the \
                  partition comes back sooner, but records only the old leader had are lost.",
    },
    ConfigDef {
        name: "replica.lag.time.max.ms",
        default: "30000",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "A follower that has not caught up to the leader's log end within this time is \
                  removed from the ISR.",
    },
    ConfigDef {
        name: "replica.fetch.wait.max.ms",
        default: "500",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "How long the leader holds a follower's fetch when there is nothing new.",
    },
    ConfigDef {
        name: "replica.fetch.max.bytes",
        default: "1048576",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "The most bytes a follower fetches per partition in one request.",
    },
    ConfigDef {
        name: "broker.heartbeat.interval.ms",
        default: "2000",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "How often a broker heartbeats to the active controller.",
    },
    ConfigDef {
        name: "broker.session.timeout.ms",
        default: "9000",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "A broker whose heartbeats stop for this long is fenced: it leaves every ISR and \
                  loses its leaderships.",
    },
    ConfigDef {
        name: "auto.leader.rebalance.enable",
        default: "true",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "Periodically moves leadership back to each partition's preferred replica.",
    },
    ConfigDef {
        name: "leader.imbalance.check.interval.seconds",
        default: "300",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "How often the controller looks for partitions led by a non-preferred replica.",
    },
    ConfigDef {
        name: "request.timeout.ms",
        default: "30000",
        scope: Scope::Broker,
        dynamic: false,
        meaning: "How long a client waits for a response (and how long an acks=all produce may \
                  wait for the HW) before REQUEST_TIMED_OUT.",
    },
];

/// Checks a value the way Kafka's `ConfigDef` would for this config's type: booleans are
/// `true` or `false`, numbers are whole and in range (`min.insync.replicas` at least 1).
pub fn validate(def: &ConfigDef, value: &str) -> Result<(), String> {
    let name = def.name;
    if def.default == "true" || def.default == "false" {
        return match value {
            "true" | "false" => Ok(()),
            _ => Err(format!(
                "Invalid value {value} for configuration {name}: Expected value to be either true or false"
            )),
        };
    }
    let Ok(number) = value.parse::<i64>() else {
        return Err(format!(
            "Invalid value {value} for configuration {name}: Not a number of type INT"
        ));
    };
    let min = if name == "min.insync.replicas" { 1 } else { 0 };
    if number < min {
        return Err(format!(
            "Invalid value {value} for configuration {name}: Value must be at least {min}"
        ));
    }
    Ok(())
}

/// The default of a known config, or "" for an unknown name.
pub fn default_value(name: &str) -> &'static str {
    CONFIGS
        .iter()
        .find(|c| c.name == name)
        .map_or("", |c| c.default)
}

pub fn find(name: &str) -> Option<&'static ConfigDef> {
    CONFIGS.iter().find(|c| c.name == name)
}
