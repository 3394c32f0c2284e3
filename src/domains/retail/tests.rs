//! R2–R8 on a hand-made set of validated lines, every expected value worked out by
//! hand in the comments. R1 (reading and validation) is tested end to end in
//! `tests/retail.rs`.
//!
//! The lines (date, invoice, quantity × price, customer):
//!
//! | month | invoice | lines | amounts | customer |
//! |---|---|---|---|---|
//! | 2010-12-01 | 1001 | 2 | 2 × 1.50, 1 × 10.00 | 13085 |
//! | 2010-12-15 | 1002 | 1 | 4 × 0.25 | 12346 |
//! | 2010-12-20 | C1003 | 1 | −1 × 10.00 | 13085 |
//! | 2011-01-05 | 1004 | 1 | 3 × 2.00 | 13085 |
//! | 2011-01-07 | 1005 | 2 | 1 × 5.00, 1 × 5.00 | none |
//! | 2011-02-10 | 1006 | 5 | 1 × 1.00 each | 12347 |
//! | 2011-02-11 | C1007 | 1 | −2 × 1.00 | 12348 |

use anyhow::Result;
use polars::prelude::*;

use super::rules;
use crate::{assert_frame_eq, values};

fn lines() -> PolarsResult<LazyFrame> {
    let mut invoice = vec!["1001", "1001", "1002", "C1003", "1004", "1005", "1005"];
    let mut quantity = vec![2i64, 1, 4, -1, 3, 1, 1];
    let mut at = vec![
        "2010-12-01 08:00:00",
        "2010-12-01 08:00:00",
        "2010-12-15 10:00:00",
        "2010-12-20 11:00:00",
        "2011-01-05 09:00:00",
        "2011-01-07 09:00:00",
        "2011-01-07 09:00:00",
    ];
    let mut price = vec![1.5, 10.0, 0.25, 10.0, 2.0, 5.0, 5.0];
    let mut customer = vec![
        Some(13085.0),
        Some(13085.0),
        Some(12346.0),
        Some(13085.0),
        Some(13085.0),
        None,
        None,
    ];
    for _ in 0..5 {
        invoice.push("1006");
        quantity.push(1);
        at.push("2011-02-10 12:00:00");
        price.push(1.0);
        customer.push(Some(12347.0));
    }
    invoice.push("C1007");
    quantity.push(-2);
    at.push("2011-02-11 12:00:00");
    price.push(1.0);
    customer.push(Some(12348.0));
    let df = df!(
        "Invoice" => invoice,
        "Quantity" => quantity,
        "InvoiceDate" => at,
        "Price" => price,
        "Customer ID" => customer,
    )?;
    Ok(validated(df))
}

/// Hand-made lines as R1 hands them over: `InvoiceDate` parsed from its text.
fn validated(df: DataFrame) -> LazyFrame {
    df.lazy().with_column(col("InvoiceDate").str().to_datetime(
        Some(TimeUnit::Microseconds),
        None,
        StrptimeOptions::default(),
        lit("raise"),
    ))
}

fn invoice_months() -> PolarsResult<LazyFrame> {
    Ok(rules::invoice_months(lines()?).collect()?.lazy())
}

#[test]
fn r2_invoice_sizes_all_and_trimmed_above_the_85th_percentile() -> Result<()> {
    // Lines per invoice: 1001 2, 1002 1, C1003 1, 1004 1, 1005 2, 1006 5, C1007 1.
    // Sorted 1 1 1 1 2 2 5: median 1 (4th), mode 1, mean 13 / 7. The 0.85 quantile
    // is the ⌈5.95⌉ = 6th smallest, 2, so `trimmed` drops 1006: 1 1 1 1 2 2, median
    // (1 + 1) / 2, mean 8 / 6.
    let out = rules::invoice_size(invoice_months()?)?.collect()?;
    assert_frame_eq!(
        out,
        df!(
            "scope" => ["all", "trimmed"],
            "invoices" => [7i64, 6],
            "min" => [1i64, 1],
            "max" => [5i64, 2],
            "median" => [1.0, 1.0],
            "mode" => [1i64, 1],
            "mean" => [13.0 / 7.0, 8.0 / 6.0],
        )?
    );
    // The pipeline's two steps: the line counts collected, then summarised.
    let counts = rules::invoice_lines(invoice_months()?).collect()?;
    let mut sorted = values::i64s(&counts, "lines", -1)?;
    sorted.sort_unstable();
    assert_eq!(sorted, [1, 1, 1, 1, 2, 2, 5]);
    assert_frame_eq!(rules::invoice_size_of(counts.lazy())?.collect()?, out);
    Ok(())
}

#[test]
fn r2_an_invoice_over_two_months_and_customers_is_one_invoice() -> Result<()> {
    // 2001 has a line in December for 13085, one in January for 13085 and one in
    // January without a customer: three invoice months, one invoice of 3 lines.
    let df = df!(
        "Invoice" => ["2001", "2001", "2001", "2002"],
        "Quantity" => [1i64, 1, 1, 1],
        "InvoiceDate" => ["2010-12-31 23:59:00", "2011-01-01 00:01:00", "2011-01-01 00:02:00", "2011-01-02 10:00:00"],
        "Price" => [1.0, 1.0, 1.0, 1.0],
        "Customer ID" => [Some(13085.0), Some(13085.0), None, Some(12346.0)],
    )?;
    let lines = validated(df);
    let months = rules::invoice_months(lines).collect()?;
    assert_eq!(months.height(), 4);
    let counts = rules::invoice_lines(months.lazy()).collect()?;
    let mut sorted = values::i64s(&counts, "lines", -1)?;
    sorted.sort_unstable();
    assert_eq!(sorted, [1, 3]);
    Ok(())
}

#[test]
fn r3_distinct_placed_and_cancelled_invoices_per_month() -> Result<()> {
    let out = rules::monthly_orders(invoice_months()?).collect()?;
    // 1001 and 1002 count once each though 1001 has two lines; 1005 has no customer
    // and still counts.
    assert_frame_eq!(
        out,
        df!(
            "yyyymm" => [201012i32, 201101, 201102],
            "placed" => [2i64, 2, 1],
            "cancelled" => [1i64, 0, 1],
        )?
    );
    Ok(())
}

#[test]
fn r4_sales_net_of_cancellations_and_growth_over_the_previous_month() -> Result<()> {
    // 201012: 3 + 10 + 1 − 10 = 4; 201101: 6 + 5 + 5 = 16 (+300%);
    // 201102: 5 − 2 = 3 ((3 − 16) / 16 × 100 = −81.25%).
    let out = rules::monthly_sales(invoice_months()?).collect()?;
    assert_frame_eq!(
        out,
        df!(
            "yyyymm" => [201012i32, 201101, 201102],
            "sales" => [4.0, 16.0, 3.0],
            "growth_pct" => [None, Some(300.0), Some(-81.25)],
        )?
    );
    Ok(())
}

#[test]
fn r4_sales_are_summed_exactly_and_divided_once() -> Result<()> {
    // Issue 14's three lines: 2 × 2.55, 6 × 4.95 and 3 × 3.39 in three months. In
    // floats 6 × 4.95 is 29.700000000000003 and 297000 units × 10⁻⁴ (the reciprocal
    // Polars multiplies by) too; in 10⁻⁴ units 2 × 25500, 6 × 49500, 3 × 33900,
    // each divided once by 10⁴: exactly 5.1, 29.7 and 10.17. Collected in memory,
    // the three months are one chunk, the case that gave 29.700000000000003.
    let df = df!(
        "Invoice" => ["536365", "540001", "550001"],
        "Quantity" => [2i64, 6, 3],
        "InvoiceDate" => ["2011-01-05 08:26:00", "2011-02-01 09:00:00", "2011-03-02 10:00:00"],
        "Price" => [2.55, 4.95, 3.39],
        "Customer ID" => [Some(17850.0), Some(17850.0), Some(13047.0)],
    )?;
    let lines = validated(df);
    let months = rules::invoice_months(lines).collect()?.lazy();
    let out = rules::monthly_sales(months.clone()).collect()?;
    let sales = values::f64s(&out, "sales")?;
    assert_eq!(sales, [Some(5.1), Some(29.7), Some(10.17)]);
    assert_eq!(
        values::f64s(&out, "growth_pct")?,
        [
            None,
            Some((29.7 - 5.1) / 5.1 * 100.0),
            Some((10.17 - 29.7) / 29.7 * 100.0)
        ]
    );
    // R7's monetary is summed the same way: 5.1 + 29.7 for 17850.
    let rfm = rules::rfm(months)?.collect()?;
    assert_eq!(values::f64s(&rfm, "monetary")?, [Some(10.17), Some(34.8)]);
    Ok(())
}

#[test]
fn r5_active_new_and_existing_customers() -> Result<()> {
    // 201012: 13085 and 12346, both new. 201101: 13085 again (1005 has no
    // customer). 201102: 12347 is new; 12348 only cancelled, so is not active.
    let out = rules::monthly_customers(invoice_months()?).collect()?;
    assert_frame_eq!(
        out,
        df!(
            "yyyymm" => [201012i32, 201101, 201102],
            "active" => [2i64, 1, 1],
            "new" => [2i64, 0, 1],
            "existing" => [0i64, 1, 0],
        )?
    );
    Ok(())
}

#[test]
fn r6_cohorts_followed_to_the_last_month_of_the_data() -> Result<()> {
    // Cohort 201012 = {13085, 12346}: 2, then 13085 in 201101, nobody in 201102.
    // Cohort 201102 = {12347}. No customer starts in 201101.
    let months = invoice_months()?;
    let last = rules::last_month(months.clone()).collect()?;
    assert_frame_eq!(last, df!("yyyymm" => [201102i32])?);
    let out = rules::cohort_table(months.clone(), rules::last_month(months)).collect()?;
    assert_frame_eq!(
        out,
        df!(
            "cohort" => [201012i32, 201012, 201012, 201102],
            "month_offset" => [0i32, 1, 2, 0],
            "customers" => [2i64, 1, 0, 1],
            "retention" => [1.0, 0.5, 0.0, 1.0],
        )?
    );
    Ok(())
}

#[test]
fn r7_r8_recency_frequency_monetary_scores_and_segments() -> Result<()> {
    // Reference day: 2011-02-11 + 1 = 2011-02-12.
    // 12346: last placed 2010-12-15 → 59 days; 1 invoice; 1.00.
    // 12347: 2011-02-10 → 2 days; 1 invoice; 5.00.
    // 13085: 2011-01-05 → 38 days; 2 invoices (C1003 does not count); 3 + 10 − 10 + 6 = 9.00.
    // 12348 only cancelled: excluded. Three rows, so ntile(5) gives 1, 2, 3 in order:
    // recency 2 < 38 < 59 → r = 6 − (1, 2, 3) = 5, 4, 3 for 12347, 13085, 12346;
    // frequency 1, 1 (tie: 12346 before 12347), 2 → f = 1, 2, 3 for 12346, 12347, 13085;
    // monetary 1 < 5 < 9 → m = 1, 2, 3 for 12346, 12347, 13085.
    // Codes: 12346 "31" About to Sleep; 12347 "52" and 13085 "43" Potential Loyalists.
    let months = invoice_months()?;
    let out = rules::rfm(months.clone())?.collect()?;
    assert_frame_eq!(
        out,
        df!(
            "customer_id" => [12346i64, 12347, 13085],
            "recency_days" => [59i64, 2, 38],
            "frequency" => [1i64, 1, 2],
            "monetary" => [1.0, 5.0, 9.0],
            "r_score" => [3i64, 5, 4],
            "f_score" => [1i64, 2, 3],
            "m_score" => [1i64, 2, 3],
            "segment" => ["About to Sleep", "Potential Loyalists", "Potential Loyalists"],
        )?
    );
    // 12348 only cancelled; the two lines of 1005 have no customer.
    let excluded = rules::customers_without_placed_invoice(months.clone()).collect()?;
    assert_eq!(values::i64s(&excluded, "customers", -1)?, [1]);
    let without = rules::lines_without_customer(months).collect()?;
    assert_eq!(values::i64s(&without, "lines", -1)?, [2]);

    // R8's summary: Potential Loyalists 2 (recency (2 + 38) / 2, frequency 1.5,
    // monetary 7), then About to Sleep 1.
    let segments = rules::rfm_segments(out.lazy()).collect()?;
    assert_frame_eq!(
        segments,
        df!(
            "segment" => ["Potential Loyalists", "About to Sleep"],
            "customers" => [2i64, 1],
            "avg_recency_days" => [20.0, 59.0],
            "avg_frequency" => [1.5, 1.0],
            "avg_monetary" => [7.0, 1.0],
        )?
    );
    Ok(())
}

#[test]
fn r7_scores_are_quintiles_with_the_first_groups_one_larger() -> Result<()> {
    // Seven customers, one placed invoice each on the same day, monetary 1..7 in
    // reverse id order: ntile(5) sizes 2, 2, 1, 1, 1. By monetary ascending the
    // order is ids 7, 6, …, 1 → m = 1 1 2 2 3 4 5 for ids 7..1. Recency and
    // frequency tie everywhere, so the ids decide: ids 1..7 get tiles 1 1 2 2 3 4 5,
    // r = 6 − tile.
    let ids: Vec<f64> = (1..=7).map(f64::from).collect();
    let df = df!(
        "Invoice" => (1..=7).map(|i| format!("{i}")).collect::<Vec<_>>(),
        "Quantity" => vec![1i64; 7],
        "InvoiceDate" => vec!["2011-03-01 10:00:00"; 7],
        "Price" => (1..=7).rev().map(f64::from).collect::<Vec<_>>(),
        "Customer ID" => ids,
    )?;
    let lines = validated(df);
    let out = rules::rfm(rules::invoice_months(lines))?.collect()?;
    assert_frame_eq!(
        out.select(["recency_days", "r_score", "f_score", "m_score"])?,
        df!(
            "recency_days" => [1i64; 7],
            "r_score" => [5i64, 5, 4, 4, 3, 2, 1],
            "f_score" => [1i64, 1, 2, 2, 3, 4, 5],
            "m_score" => [5i64, 4, 3, 2, 2, 1, 1],
        )?
    );
    Ok(())
}

#[test]
fn r8_every_code_falls_in_its_segment_and_others_are_unknown() -> Result<()> {
    let expected = [
        // f = 1 … 5 for r = 1 … 5.
        [
            "Hibernating",
            "Hibernating",
            "At Risk",
            "At Risk",
            "Can't Lose",
        ],
        [
            "Hibernating",
            "Hibernating",
            "At Risk",
            "At Risk",
            "Can't Lose",
        ],
        [
            "About to Sleep",
            "About to Sleep",
            "Need Attention",
            "Loyal Customers",
            "Loyal Customers",
        ],
        [
            "Promising",
            "Potential Loyalists",
            "Potential Loyalists",
            "Loyal Customers",
            "Loyal Customers",
        ],
        [
            "New Customers",
            "Potential Loyalists",
            "Potential Loyalists",
            "Champions",
            "Champions",
        ],
    ];
    let mut codes: Vec<String> = Vec::new();
    let mut labels: Vec<&str> = Vec::new();
    for (r, row) in expected.iter().enumerate() {
        for (f, label) in row.iter().enumerate() {
            codes.push(format!("{}{}", r + 1, f + 1));
            labels.push(label);
        }
    }
    codes.extend(["60".to_string(), "5".to_string(), "555".to_string()]);
    labels.extend([rules::UNKNOWN_SEGMENT; 3]);
    let df = df!("code" => codes)?;
    let out = df
        .lazy()
        .select([crate::transforms::first_full_match(
            col("code"),
            &rules::RFM_SEGMENTS,
            rules::UNKNOWN_SEGMENT,
        )
        .alias("segment")])
        .collect()?;
    assert_eq!(values::texts(&out, "segment", "")?, labels);
    Ok(())
}

#[test]
fn r4_sales_by_product_are_summed_exactly() -> Result<()> {
    // Two lines of one product: 6 × 4.95 + 1 × 0.1 = 29.8 exactly (in floats
    // 29.700000000000003 + 0.1 = 29.800000000000004); a cancellation nets out.
    let lines = df!(
        "StockCode" => ["A", "A", "B", "B"],
        "Description" => ["MUG", "MUG", "CUP", "CUP"],
        "Quantity" => [6i64, 1, 2, -2],
        "Price" => [4.95, 0.1, 1.25, 1.25],
    )?
    .lazy();
    let out = rules::sales_by(lines, &["StockCode", "Description"])
        .sort(["StockCode"], Default::default())
        .collect()?;
    assert_eq!(values::texts(&out, "StockCode", "")?, ["A", "B"]);
    assert_eq!(values::f64s(&out, "sales")?, [Some(29.8), Some(0.0)]);
    Ok(())
}
