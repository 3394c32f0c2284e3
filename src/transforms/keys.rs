//! Dictionary-encoding text keys as small integers.
//!
//! A large aggregation on text keys (millions of device × program pairs) hashes and
//! stores every string; on integer keys it needs a fraction of the memory. A
//! dictionary maps each distinct value, in sorted order, to a `UInt32` key, so the
//! keys are the same on every run; [`encode`] and [`decode`] swap a column between
//! its values and its keys, keeping the column's name. [`key_in_pass`] splits a
//! table by key into disjoint passes, so that an aggregation by that key can run one
//! pass at a time; [`passes_for`] says how many passes a table needs.

use polars::prelude::*;

/// The dictionary's key column.
pub const KEY: &str = "__key";

/// Every distinct non-null value of `column`, sorted, with its key in `__key`.
pub fn dictionary(lf: LazyFrame, column: &str) -> LazyFrame {
    lf.select([col(column)])
        .filter(col(column).is_not_null())
        .unique(None, UniqueKeepStrategy::Any)
        .sort([column], Default::default())
        .with_row_index(KEY, None)
        .with_column(col(KEY).cast(DataType::UInt32))
}

fn small_right_side() -> JoinArgs {
    JoinArgs::new(JoinType::Inner).with_build_side(Some(JoinBuildSide::PreferRight))
}

/// Replaces the values of `column` by their keys; rows whose value is not in the
/// dictionary are dropped.
pub fn encode(lf: LazyFrame, dictionary: LazyFrame, column: &str) -> LazyFrame {
    lf.join(dictionary, [col(column)], [col(column)], small_right_side())
        .with_column(col(KEY).alias(column))
        .drop(cols([KEY]))
}

/// Replaces the keys in `column` by their values.
pub fn decode(lf: LazyFrame, dictionary: LazyFrame, column: &str) -> LazyFrame {
    let values = dictionary.select([col(KEY).alias(column), col(column).alias("__value")]);
    lf.join(values, [col(column)], [col(column)], small_right_side())
        .with_column(col("__value").alias(column))
        .drop(cols(["__value"]))
}

/// How many passes of at most about `rows_per_pass` rows `rows` rows need, when
/// [`key_in_pass`] splits them by the last character of a key in `alphabet`: the
/// smallest divisor of the alphabet's length that is enough (so that the passes are
/// of equal size), and at most the alphabet's length.
pub fn passes_for(rows: u64, rows_per_pass: u64, alphabet: &str) -> u32 {
    let characters = alphabet.chars().count().max(1) as u32;
    let wanted = rows.div_ceil(rows_per_pass.max(1));
    (1..=characters)
        .filter(|passes| characters % passes == 0)
        .find(|&passes| u64::from(passes) >= wanted)
        .unwrap_or(characters)
}

/// The pass, out of `passes`, of each text `key` (`UInt32`): i mod `passes` when the
/// key ends in the i-th character of `alphabet`, ASCII letters in either case (so
/// `…A` and `…a` are in the same pass); 0 for a key ending in any other character,
/// and for null, so every row is in exactly one pass. With keys whose last characters
/// are evenly spread (invoice numbers, hex ids), `passes` dividing the alphabet's
/// length gives passes of equal size. Characters of `alphabet` beyond ASCII are not
/// matched. Computed from each key's last byte, without string kernels: a table of
/// 100M keys is split once and cheaply.
pub fn pass_of_key(key: Expr, alphabet: &str, passes: u32) -> Expr {
    let mut pass_of_byte = [0u32; 128];
    for (i, c) in alphabet.chars().enumerate() {
        if c.is_ascii() {
            let pass = i as u32 % passes.max(1);
            pass_of_byte[usize::from(c.to_ascii_lowercase() as u8)] = pass;
            pass_of_byte[usize::from(c.to_ascii_uppercase() as u8)] = pass;
        }
    }
    key.map(
        move |keys| {
            let passes: UInt32Chunked = keys
                .str()?
                .iter()
                .map(|k| {
                    Some(
                        k.and_then(|k| k.as_bytes().last())
                            .filter(|b| b.is_ascii())
                            .map_or(0, |b| pass_of_byte[usize::from(*b)]),
                    )
                })
                .collect();
            Ok(passes.with_name(keys.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::UInt32)),
    )
}

/// Rows of pass `pass` out of `passes` by the last character of `key`, as
/// [`pass_of_key`] places them.
pub fn key_in_pass(key: Expr, alphabet: &str, pass: u32, passes: u32) -> Expr {
    if passes <= 1 {
        // One pass holds every row: no need to look at the keys.
        return lit(true);
    }
    pass_of_key(key, alphabet, passes).eq(lit(pass))
}

/// The bucket, out of `buckets`, of `key`: its FNV-1a hash (64 bits, over its UTF-8
/// bytes) modulo `buckets`, the same on every run and machine; a null key is in
/// bucket 0.
pub fn stable_bucket(key: Option<&str>, buckets: u32) -> u32 {
    let hash = key.map_or(0, |k| {
        k.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    });
    (hash % u64::from(buckets.max(1))) as u32
}

/// Rows of pass `pass` out of `passes`: those whose text `key` is in bucket `pass`
/// ([`stable_bucket`]). Every row is in exactly one pass and, unlike
/// [`key_in_pass`], the passes are of about equal size whatever the keys look like,
/// for any number of passes: a deduplication or merge by key then runs one pass at
/// a time, its memory a pass's.
pub fn key_hash_in_pass(key: Expr, pass: u32, passes: u32) -> Expr {
    if passes <= 1 {
        return lit(true);
    }
    key.map(
        move |keys| {
            let in_pass: BooleanChunked = keys
                .str()?
                .iter()
                .map(|k| stable_bucket(k, passes) == pass)
                .collect();
            Ok(in_pass.with_name(keys.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Boolean)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FNV-1a of "a" is 0xaf63dc4c8601ec8c (≡ 6 mod 10, 5 mod 7); of "S000000001"
    /// 0x02174b82241e11e9 (≡ 1 mod 10, 6 mod 7), worked out by hand.
    #[test]
    fn key_hashes_put_every_row_in_exactly_one_pass() -> PolarsResult<()> {
        assert_eq!(stable_bucket(Some("a"), 10), 6);
        assert_eq!(stable_bucket(Some("a"), 7), 5);
        assert_eq!(stable_bucket(Some("S000000001"), 10), 1);
        assert_eq!(stable_bucket(Some("S000000001"), 7), 6);
        assert_eq!(stable_bucket(None, 7), 0);
        let keys: Vec<Option<String>> = (0..1_000)
            .map(|i| (i % 97 != 0).then(|| format!("S{i:09}")))
            .collect();
        let df = df!("key" => keys.clone())?;
        let mut seen = vec![0u32; keys.len()];
        for pass in 0..7 {
            let in_pass = df
                .clone()
                .lazy()
                .select([key_hash_in_pass(col("key"), pass, 7)])
                .collect()?;
            for (i, hit) in in_pass.column("key")?.bool()?.iter().enumerate() {
                if hit == Some(true) {
                    seen[i] += 1;
                    assert_eq!(stable_bucket(keys[i].as_deref(), 7), pass);
                }
            }
        }
        assert!(seen.iter().all(|&n| n == 1), "each row in one pass");
        Ok(())
    }

    #[test]
    fn encodes_in_sorted_order_and_decodes_back() -> PolarsResult<()> {
        let df = df!("device" => ["b", "a", "b", "c"], "n" => [1, 2, 3, 4])?;
        let dict = dictionary(df.clone().lazy(), "device").collect()?;
        assert_eq!(crate::values::texts(&dict, "device", "-")?, ["a", "b", "c"]);
        let encoded = encode(df.lazy(), dict.clone().lazy(), "device")
            .sort(["n"], Default::default())
            .collect()?;
        assert_eq!(encoded.column("device")?.dtype(), &DataType::UInt32);
        assert_eq!(crate::values::u64s(&encoded, "device", 99)?, [1, 0, 1, 2]);
        let decoded = decode(encoded.lazy(), dict.lazy(), "device")
            .sort(["n"], Default::default())
            .collect()?;
        assert_eq!(
            crate::values::texts(&decoded, "device", "-")?,
            ["b", "a", "b", "c"]
        );
        Ok(())
    }

    #[test]
    fn passes_divide_the_alphabet_and_cover_the_rows() {
        // Digits: 1, 2, 5 or 10 passes.
        assert_eq!(passes_for(0, 100, "0123456789"), 1);
        assert_eq!(passes_for(100, 100, "0123456789"), 1);
        assert_eq!(passes_for(101, 100, "0123456789"), 2);
        assert_eq!(passes_for(300, 100, "0123456789"), 5);
        assert_eq!(passes_for(501, 100, "0123456789"), 10);
        assert_eq!(passes_for(5_000, 100, "0123456789"), 10);
        // Hex digits: powers of two up to 16.
        assert_eq!(passes_for(300, 100, "0123456789abcdef"), 4);
        assert_eq!(passes_for(900, 100, "0123456789abcdef"), 16);
    }

    #[test]
    fn every_key_falls_in_exactly_one_pass() -> PolarsResult<()> {
        let df =
            df!("k" => [Some("489434"), Some("C489449"), Some("A5"), Some("X"), None, Some("10")])?;
        let mut passes_of_rows = vec![Vec::new(); df.height()];
        for pass in 0..5 {
            let out = df
                .clone()
                .lazy()
                .select([key_in_pass(col("k"), "0123456789", pass, 5).alias("in")])
                .collect()?;
            for (row, inside) in out.column("in")?.bool()?.iter().enumerate() {
                if inside == Some(true) {
                    passes_of_rows[row].push(pass);
                }
            }
        }
        // Last digits 4, 9, 5 → passes 4, 4, 0; `X` and null → 0; 0 → 0.
        assert_eq!(passes_of_rows, [[4], [4], [0], [0], [0], [0]]);
        Ok(())
    }

    /// Hex ids end in letters of either case, and non-ASCII or empty keys go to pass 0.
    #[test]
    fn pass_of_key_matches_letters_in_either_case() -> PolarsResult<()> {
        let df = df!("k" => [Some("00a"), Some("00A"), Some("0f"), Some("F"), Some("7"), Some("é"), Some(""), Some("g"), None])?;
        let out = df
            .lazy()
            .select([pass_of_key(col("k"), "0123456789abcdef", 4)])
            .collect()?;
        // a is the 11th character (10 mod 4 = 2), f the 16th (15 mod 4 = 3), 7 → 3.
        assert_eq!(
            crate::values::u64s(&out, "k", 99)?,
            [2, 2, 3, 3, 3, 0, 0, 0, 0]
        );
        Ok(())
    }
}
