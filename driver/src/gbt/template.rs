//! The `getblocktemplate` result (BIP 22, BIP 23, BIP 9 rules, BIP 141's
//! witness commitment), checked and decoded.

use super::GbtError;
use crate::hash::Hash256;
use crate::target::Target;
use serde_json::Value;

/// Rules of BIP 9 deployments this miner handles. A template rule that
/// starts with `!` must be understood by the miner (BIP 9); `segwit` is
/// handled by committing to the witness data (the template's
/// `default_witness_commitment`). `signet` needs a block signature from
/// the signet's key, which a miner does not have.
pub const SUPPORTED_RULES: &[&str] = &["segwit", "csv", "taproot", "testdummy"];

/// The rules to ask for: Bitcoin Core refuses a template request without
/// `segwit`.
pub const REQUESTED_RULES: &[&str] = &["segwit"];

/// One transaction of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateTx {
    /// Its serialization, copied into the block as is.
    pub data: Vec<u8>,
    /// Its txid in internal byte order (for the merkle tree).
    pub txid: [u8; 32],
}

/// A decoded block template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockTemplate {
    /// Block version.
    pub version: u32,
    /// The tip the block builds on.
    pub prev_hash: Hash256,
    /// Height of the new block (BIP 34 puts it in the coinbase).
    pub height: u64,
    /// The transactions after the coinbase, in order.
    pub transactions: Vec<TemplateTx>,
    /// What the coinbase may pay out: subsidy plus fees, in satoshis.
    pub coinbase_value: u64,
    /// Compact target.
    pub bits: u32,
    /// The network target, from `bits`.
    pub target: Target,
    /// The time to put in the header.
    pub curtime: u32,
    /// The earliest time the header may have.
    pub mintime: u32,
    /// The witness commitment output script (BIP 141), if the template has
    /// segwit.
    pub witness_commitment: Option<Vec<u8>>,
    /// Id for long polling (not used yet), if given.
    pub longpoll_id: Option<String>,
}

impl BlockTemplate {
    /// Decodes the `result` of a `getblocktemplate` call.
    pub fn from_json(v: &Value) -> Result<BlockTemplate, GbtError> {
        let bad = |field: &str, reason: &str| GbtError::BadTemplate {
            field: field.to_string(),
            reason: reason.to_string(),
        };
        if !v.is_object() {
            return Err(bad("result", "not an object"));
        }
        if let Some(rules) = v.get("rules") {
            let rules = rules
                .as_array()
                .ok_or_else(|| bad("rules", "not an array"))?;
            for r in rules {
                let r = r
                    .as_str()
                    .ok_or_else(|| bad("rules", "an entry is not a string"))?;
                if let Some(required) = r.strip_prefix('!') {
                    if !SUPPORTED_RULES.contains(&required) {
                        return Err(GbtError::UnsupportedRule(required.to_string()));
                    }
                }
            }
        }
        let uint = |field: &str, max: u64| -> Result<u64, GbtError> {
            let x = v
                .get(field)
                .ok_or_else(|| bad(field, "missing"))?
                .as_u64()
                .ok_or_else(|| bad(field, "not a non-negative integer"))?;
            if x > max {
                return Err(bad(field, &format!("{x} is out of range")));
            }
            Ok(x)
        };
        let string = |field: &str| -> Result<&str, GbtError> {
            v.get(field)
                .ok_or_else(|| bad(field, "missing"))?
                .as_str()
                .ok_or_else(|| bad(field, "not a string"))
        };
        let version = uint("version", u64::from(u32::MAX))? as u32;
        let prev_hash = Hash256::from_display_hex(string("previousblockhash")?)
            .map_err(|e| bad("previousblockhash", &e.to_string()))?;
        let height = uint("height", u64::from(u32::MAX))?;
        // 21 million BTC in satoshis.
        let coinbase_value = uint("coinbasevalue", 21_000_000 * 100_000_000)?;
        let bits_hex = string("bits")?;
        let bits = crate::hexparse::decode_fixed::<4>(bits_hex)
            .map(u32::from_be_bytes)
            .map_err(|_| bad("bits", "not 8 hex digits"))?;
        let target = Target::from_compact(bits).map_err(|e| bad("bits", &e.to_string()))?;
        let curtime = uint("curtime", u64::from(u32::MAX))? as u32;
        let mintime = match v.get("mintime") {
            None | Some(Value::Null) => 0,
            Some(_) => uint("mintime", u64::from(u32::MAX))? as u32,
        };
        let witness_commitment = match v.get("default_witness_commitment") {
            None | Some(Value::Null) => None,
            Some(c) => {
                let c = c
                    .as_str()
                    .ok_or_else(|| bad("default_witness_commitment", "not a string"))?;
                let script =
                    hex::decode(c).map_err(|_| bad("default_witness_commitment", "not hex"))?;
                // OP_RETURN, push 36, the 4-byte header aa21a9ed, 32 bytes.
                if script.len() < 38 || script[..6] != [0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed] {
                    return Err(bad(
                        "default_witness_commitment",
                        "not a BIP 141 commitment script (6a24aa21a9ed…)",
                    ));
                }
                Some(script)
            }
        };
        let txs = v
            .get("transactions")
            .ok_or_else(|| bad("transactions", "missing"))?
            .as_array()
            .ok_or_else(|| bad("transactions", "not an array"))?;
        let transactions = txs
            .iter()
            .enumerate()
            .map(|(i, tx)| {
                let field = format!("transactions[{i}]");
                let get = |name: &str| {
                    tx.get(name)
                        .and_then(Value::as_str)
                        .ok_or_else(|| bad(&format!("{field}.{name}"), "missing or not a string"))
                };
                let data = hex::decode(get("data")?)
                    .map_err(|_| bad(&format!("{field}.data"), "not hex"))?;
                if data.len() < 10 {
                    return Err(bad(&format!("{field}.data"), "too short for a transaction"));
                }
                let txid = Hash256::from_display_hex(get("txid")?)
                    .map_err(|e| bad(&format!("{field}.txid"), &e.to_string()))?;
                Ok(TemplateTx {
                    data,
                    txid: *txid.as_bytes(),
                })
            })
            .collect::<Result<Vec<_>, GbtError>>()?;
        let longpoll_id = v
            .get("longpollid")
            .and_then(Value::as_str)
            .map(str::to_string);
        Ok(BlockTemplate {
            version,
            prev_hash,
            height,
            transactions,
            coinbase_value,
            bits,
            target,
            curtime,
            mintime,
            witness_commitment,
            longpoll_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template() -> Value {
        json!({
            "version": 0x2000_0000u32,
            "rules": ["csv", "!segwit", "taproot"],
            "previousblockhash": "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
            "transactions": [{
                "data": "0100000001aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0000000000ffffffff0100000000000000000000000000",
                "txid": "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87",
                "hash": "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87",
                "depends": [], "fee": 100, "sigops": 4, "weight": 400
            }],
            "coinbasevalue": 5_000_000_100u64,
            "bits": "207fffff",
            "curtime": 1_700_000_000u32,
            "mintime": 1_699_999_000u32,
            "height": 101,
            "default_witness_commitment": format!("6a24aa21a9ed{}", "11".repeat(32)),
            "longpollid": "abc1"
        })
    }

    #[test]
    fn decodes_a_core_shaped_template() {
        let t = BlockTemplate::from_json(&template()).unwrap();
        assert_eq!(t.version, 0x2000_0000);
        // Display order in the template, internal order here.
        assert_eq!(t.prev_hash.as_bytes()[0], 0x6f);
        assert_eq!(t.bits, 0x207f_ffff);
        assert_eq!(t.target.to_compact(), 0x207f_ffff);
        assert_eq!(t.transactions.len(), 1);
        assert_eq!(t.transactions[0].txid[0], 0x87);
        assert_eq!(t.coinbase_value, 5_000_000_100);
        assert_eq!(t.witness_commitment.as_ref().map(Vec::len), Some(38));
        assert_eq!(t.longpoll_id.as_deref(), Some("abc1"));
    }

    #[test]
    fn bad_fields_are_named() {
        let cases: [(&str, Value); 7] = [
            ("bits", json!("207fff")),
            ("previousblockhash", json!("zz")),
            ("height", json!(-1)),
            ("coinbasevalue", json!(1e20)),
            ("transactions", json!({})),
            ("default_witness_commitment", json!("6a")),
            ("curtime", Value::Null),
        ];
        for (field, value) in cases {
            let mut t = template();
            t[field] = value;
            let e = BlockTemplate::from_json(&t).unwrap_err().to_string();
            assert!(e.contains(field), "{field}: {e}");
        }
        let mut t = template();
        t["transactions"][0]["txid"] = json!("12");
        let e = BlockTemplate::from_json(&t).unwrap_err().to_string();
        assert!(e.contains("transactions[0].txid"), "{e}");
    }

    #[test]
    fn required_rules_must_be_known() {
        let mut t = template();
        t["rules"] = json!(["!signet", "segwit"]);
        let e = BlockTemplate::from_json(&t).unwrap_err();
        assert!(
            matches!(e, GbtError::UnsupportedRule(ref r) if r == "signet"),
            "{e}"
        );
        // An optional rule the miner does not know is fine (BIP 9).
        t["rules"] = json!(["someday"]);
        assert!(BlockTemplate::from_json(&t).is_ok());
    }
}
