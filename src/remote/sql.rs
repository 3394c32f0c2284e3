//! Polars plans as Spark SQL: a rule stated once as `LazyFrame → LazyFrame` is
//! translated from its resolved plan (`LazyFrame::to_alp`, the level the GPU engine
//! consumes) into one Spark SQL query, so that a Spark Connect engine (Spark 4,
//! Databricks, Sail) computes what Polars computes on one machine.
//!
//! Polars and Spark differ, and every difference the translator meets is an explicit
//! rule here, never a word-for-word rendering:
//!
//! - **Row order.** Polars frames are ordered, Spark relations are not. Each
//!   translated relation carries the order it is known to have (after a sort); an
//!   operation that depends on order (a slice, `first`, `last`) with no known order
//!   is an error, never a guess.
//! - **Nulls in sorts.** Polars puts nulls first unless `nulls_last`, whatever the
//!   direction; Spark puts them first ascending and last descending: every `ORDER BY`
//!   key says `NULLS FIRST` or `NULLS LAST`.
//! - **Aggregates.** A sum over no non-null value is 0 in Polars and NULL in Spark
//!   (`coalesce(sum(x), 0)`); `n_unique` counts null as a value, `COUNT(DISTINCT)`
//!   does not (one more when a null is there); the median is linear between the two
//!   middle values in both (`percentile(x, 0.5)`).
//! - **Arithmetic.** `%` is floored in Polars (the sign of the divisor) and truncated
//!   in Spark: `pmod`. Integer division truncates in Rust's Polars `/`: `div`;
//!   `//` floors: `floor(a / b)`. Polars' `eq_missing` is Spark's `<=>`; `&`, `|`
//!   and `^` are logical on booleans and bitwise on integers in both.
//! - **Windows.** An aggregate inside `over(keys)` takes `OVER (PARTITION BY keys)`
//!   on each aggregate call; an aggregate in a filter or `with_columns` stands for
//!   the whole relation's value on every row (`OVER ()`), and a condition holding
//!   one is computed as a column before the rows are filtered (SQL evaluates no
//!   window in `WHERE`). A row number (`int_range(0, len())`, how ranks are made)
//!   follows the known row order, and is an error without one.
//! - **SmartView's exact kernels** ([`crate::transforms::exact`]) are named in the
//!   plan and rendered with the same arithmetic: a ratio as one division of doubles,
//!   a checked sum in BIGINT (an overflow is an error in ANSI mode, as in Polars),
//!   and an order-independent sum as one exact DECIMAL in 2⁻⁶⁴ units rounded to
//!   DOUBLE once, so that equal sums (and the ties a rank breaks) come out equal.
//! - **Dates as numbers** are days since 1970-01-01 in Polars: `unix_date`.
//! - **Text.** Polars' `strip_chars()` strips Unicode whitespace, Spark's `trim`
//!   spaces only: a `regexp_replace` with the White_Space class, written so Java's
//!   and Rust's regex engines read it alike. Polars splits on a literal, Spark on a
//!   regex: the separator is escaped. `str.slice` is 0-based, `substring` 1-based.
//! - **Order inside a group.** `sort_by(…).first()` and an ordered string join become
//!   an array of structs sorted on the keys (a descending number negated), then its
//!   first element or its elements joined; a quantile's element is one of the sorted
//!   collected values.
//! - **Plans.** A cached sub-plan is one common table expression however often it is
//!   read; a union keeps its parts' order when each is one row or all are sorted
//!   alike (a hidden part number the query sorts on and leaves out); one-row
//!   relations side by side are a cross join; an explode of a list is
//!   `explode_outer` (or `explode`, as the options say).
//!
//! Tables come in as placeholders ([`SparkTables::table`]): an empty frame of the
//! table's schema whose scan the translator names after the table on the cluster.
//! Anything the translator does not know (a node, an expression, a function) is an
//! error naming it and the rule, so a rule that cannot run remotely says so before
//! any data moves.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{anyhow, bail, Result};
use polars::prelude::{
    AnyValue, DataFrame, DataType, JoinType, LazyFrame, Schema, SchemaRef, TimeUnit,
};
use polars_plan::plans::expr_ir::ExprIR;
use polars_plan::prelude::{
    AExpr, Arena, IRAggExpr, IRBooleanFunction, IRFunctionExpr, IRStringFunction, LiteralValue,
    Node, Operator, ToFieldContext, IR,
};

/// The tables a rule reads on the cluster, by name: placeholders for the rule's
/// inputs, each an empty frame of the table's columns.
#[derive(Default)]
pub struct SparkTables {
    /// The placeholder frame of each table (by its address) and the table's name.
    names: HashMap<usize, String>,
}

impl SparkTables {
    pub fn new() -> Self {
        Self::default()
    }

    /// A placeholder for the cluster table `name` with `schema`: hand it to the rule
    /// in place of the table; its scan becomes `name` in the SQL.
    pub fn table(&mut self, name: &str, schema: Schema) -> LazyFrame {
        let frame = Arc::new(DataFrame::empty_with_schema(&schema));
        self.names
            .insert(Arc::as_ptr(&frame) as usize, name.to_string());
        // The scan holds this very frame, so the plan's scan is found by its address.
        LazyFrame::from(polars_plan::prelude::DslPlan::DataFrameScan {
            df: frame,
            schema: Arc::new(schema),
        })
    }

    /// The rule's plan `lf`, named `rule` in errors, as one Spark SQL query.
    ///
    /// # Errors
    /// When the plan cannot be resolved, or holds a node, expression or function the
    /// translator does not know (the message names it and `rule`), or depends on a
    /// row order that is not known.
    pub fn to_sql(&self, rule: &str, lf: LazyFrame) -> Result<String> {
        let plan = lf
            .to_alp()
            .map_err(|e| anyhow!("cannot resolve the plan of {rule}: {e}"))?;
        let mut translator = Translator {
            tables: self,
            lp: &plan.lp_arena,
            expr: &plan.expr_arena,
            aliases: 0,
            rule,
            window: None,
            partition: Vec::new(),
            broadcast: false,
            row_order: None,
            ctes: Vec::new(),
            cached: HashMap::new(),
            aggregating: false,
        };
        let relation = translator.plan_node(plan.lp_top)?;
        let columns = match relation.hidden {
            true => translator.all_columns(plan.lp_top),
            false => "*".to_string(),
        };
        let query = match &relation.order {
            Some(order) if !order.is_empty() => format!(
                "SELECT {columns} FROM ({}) AS result ORDER BY {}",
                relation.sql,
                order_by(order)
            ),
            _ if relation.hidden => format!("SELECT {columns} FROM ({}) AS result", relation.sql),
            _ => relation.sql,
        };
        Ok(match translator.ctes.is_empty() {
            true => query,
            false => format!("WITH {} {query}", translator.ctes.join(", ")),
        })
    }
}

/// The most rows an in-memory frame of a rule may have to be sent as `VALUES`.
const LITERAL_ROWS: usize = 1_000;

/// One key of a known row order: the SQL of the column, descending, nulls last.
#[derive(Clone, Debug, PartialEq)]
struct OrderKey {
    column: String,
    descending: bool,
    nulls_last: bool,
}

fn order_by(keys: &[OrderKey]) -> String {
    keys.iter()
        .map(|k| {
            format!(
                "{} {} {}",
                k.column,
                if k.descending { "DESC" } else { "ASC" },
                if k.nulls_last {
                    "NULLS LAST"
                } else {
                    "NULLS FIRST"
                }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A translated relation: its query and the row order it is known to have (`None`:
/// unknown, as a Spark relation is unless sorted).
struct Relation {
    sql: String,
    order: Option<Vec<OrderKey>>,
    /// Whether the relation has exactly one row (a global aggregate): a horizontal
    /// concatenation of such relations is their cross join.
    single_row: bool,
    /// Whether the relation ends in a column past its schema, `__union_part`, which
    /// its order names (a union keeps its parts in order); only the query's top
    /// keeps it, to sort on and leave out.
    hidden: bool,
}

struct Translator<'a> {
    tables: &'a SparkTables,
    lp: &'a Arena<IR>,
    expr: &'a Arena<AExpr>,
    aliases: usize,
    rule: &'a str,
    /// The window (`OVER (PARTITION BY …)`) each aggregate call takes while the
    /// function of an `over` expression is translated: SQL puts the window on every
    /// aggregate call, not on the expression around them.
    window: Option<String>,
    /// The partition keys of that window.
    partition: Vec<String>,
    /// Whether an aggregate stands for its value over the whole relation, broadcast
    /// to every row (Polars, in a filter or `with_columns`): `OVER ()` in SQL.
    broadcast: bool,
    /// The known row order of the relation whose expressions are being translated: a
    /// row number (`int_range(0, len())`) follows it.
    row_order: Option<Vec<OrderKey>>,
    /// The common table expressions (`name AS (query)`) of the cached sub-plans, in
    /// the order they were met (a later one may read an earlier one).
    ctes: Vec<String>,
    /// Each cached sub-plan met so far: its CTE's name, known order and row count.
    cached: HashMap<String, (String, Option<Vec<OrderKey>>, bool)>,
    /// Whether the expressions being translated are a group-by's aggregations: an
    /// ordered `first` or string join is an array aggregate there.
    aggregating: bool,
}

/// `name` as a Spark SQL identifier.
pub(crate) fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `text` as a Spark SQL string literal.
pub(crate) fn string_literal(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

impl Translator<'_> {
    fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("t{}", self.aliases)
    }

    fn unsupported(&self, what: String) -> anyhow::Error {
        anyhow!(
            "{}: {what} has no Spark SQL translation (issue 19: the translator knows the \
             nodes and expressions the domains' rules use so far)",
            self.rule
        )
    }

    fn schema(&self, node: Node) -> SchemaRef {
        self.lp.get(node).schema(self.lp).into_owned()
    }

    /// Every column of `node`'s output, in order, as a select list.
    fn all_columns(&self, node: Node) -> String {
        self.schema(node)
            .iter_names()
            .map(|n| ident(n))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `node` as a relation of exactly its schema's columns, for a parent node.
    fn plan(&mut self, node: Node) -> Result<Relation> {
        let relation = self.plan_node(node)?;
        if !relation.hidden {
            return Ok(relation);
        }
        // The hidden ordering column leaves, and with it the order it gave.
        let alias = self.alias();
        Ok(Relation {
            sql: format!(
                "SELECT {} FROM ({}) AS {alias}",
                self.all_columns(node),
                relation.sql
            ),
            order: None,
            single_row: relation.single_row,
            hidden: false,
        })
    }

    /// `node` as a relation, which may end in a hidden ordering column (see
    /// [`Relation::hidden`]).
    fn plan_node(&mut self, node: Node) -> Result<Relation> {
        match self.lp.get(node) {
            IR::DataFrameScan { df, .. } => {
                if let Some(name) = self.tables.names.get(&(Arc::as_ptr(df) as usize)) {
                    return Ok(Relation {
                        single_row: false,
                        hidden: false,
                        sql: format!("SELECT {} FROM {}", self.all_columns(node), ident(name)),
                        order: None,
                    });
                }
                // A small frame written in the rule (a list of values) travels as VALUES.
                if df.height() == 0 || df.height() > LITERAL_ROWS {
                    return Err(self.unsupported(format!(
                        "an in-memory frame of {} rows (register a table with \
                         SparkTables::table; up to {LITERAL_ROWS} rows travel as VALUES)",
                        df.height()
                    )));
                }
                let mut rows = Vec::with_capacity(df.height());
                for i in 0..df.height() {
                    let values = df
                        .columns()
                        .iter()
                        .map(|c| {
                            let value = c.get(i).map_err(|e| anyhow!("{e}"))?;
                            self.any_value(&value)
                        })
                        .collect::<Result<Vec<_>>>()?;
                    rows.push(format!("({})", values.join(", ")));
                }
                let alias = self.alias();
                let names = self.all_columns(node);
                Ok(Relation {
                    single_row: df.height() == 1,
                    hidden: false,
                    sql: format!(
                        "SELECT {names} FROM VALUES {} AS {alias}({names})",
                        rows.join(", ")
                    ),
                    order: None,
                })
            }
            IR::Scan {
                sources, scan_type, ..
            } => {
                let format = match scan_type.as_ref() {
                    polars_plan::prelude::FileScanIR::Parquet { .. } => "parquet",
                    other => {
                        return Err(self.unsupported(format!("a {} scan", <&str>::from(other))))
                    }
                };
                let paths = sources
                    .as_paths()
                    .ok_or_else(|| self.unsupported("a scan of in-memory sources".into()))?;
                let [path] = paths else {
                    return Err(self.unsupported(format!("a scan of {} files", paths.len())));
                };
                Ok(Relation {
                    single_row: false,
                    hidden: false,
                    sql: format!(
                        "SELECT {} FROM {format}.{}",
                        self.all_columns(node),
                        ident(&path.to_string())
                    ),
                    order: None,
                })
            }
            // A sub-plan the rule reads more than once is one common table expression,
            // so the query does not grow with every reader.
            IR::Cache { input, id } => {
                let id = format!("{id:?}");
                if let Some((name, order, single_row)) = self.cached.get(&id) {
                    return Ok(Relation {
                        single_row: *single_row,
                        hidden: false,
                        sql: format!("SELECT * FROM {name}"),
                        order: order.clone(),
                    });
                }
                let inner = self.plan(*input)?;
                let name = format!("`__cache{}`", self.cached.len() + 1);
                self.ctes.push(format!("{name} AS ({})", inner.sql));
                self.cached
                    .insert(id, (name.clone(), inner.order.clone(), inner.single_row));
                Ok(Relation {
                    single_row: inner.single_row,
                    hidden: false,
                    sql: format!("SELECT * FROM {name}"),
                    order: inner.order,
                })
            }
            IR::SimpleProjection { input, columns } => {
                let inner = self.plan(*input)?;
                let alias = self.alias();
                let list = columns
                    .iter_names()
                    .map(|n| ident(n))
                    .collect::<Vec<_>>()
                    .join(", ");
                Ok(Relation {
                    single_row: inner.single_row,
                    hidden: false,
                    sql: format!("SELECT {list} FROM ({}) AS {alias}", inner.sql),
                    order: keep_order(inner.order, &list_names(columns)),
                })
            }
            IR::Filter { input, predicate } => {
                let schema = self.schema(*input);
                let inner = self.plan(*input)?;
                let alias = self.alias();
                self.broadcast = true;
                let condition = self.expression(predicate.node(), &schema);
                self.broadcast = false;
                let condition = condition?;
                // SQL evaluates no window in WHERE: such a condition becomes a column
                // first, then the rows are filtered on it.
                let sql = if condition.contains(" OVER (") {
                    let columns = self.all_columns(*input);
                    let outer = self.alias();
                    format!(
                        "SELECT {columns} FROM (SELECT {columns}, {condition} AS `__keep` FROM \
                         ({}) AS {alias}) AS {outer} WHERE `__keep`",
                        inner.sql
                    )
                } else {
                    format!("SELECT * FROM ({}) AS {alias} WHERE {condition}", inner.sql)
                };
                Ok(Relation {
                    single_row: false,
                    hidden: false,
                    sql,
                    order: inner.order,
                })
            }
            IR::Select { input, expr, .. } => {
                let schema = self.schema(*input);
                let inner = self.plan(*input)?;
                let alias = self.alias();
                // Aggregates beside per-row columns are broadcast to every row; a select
                // of aggregates alone is one row.
                let scalar = expr.iter().all(|e| e.is_scalar(self.expr));
                if scalar && !expr.iter().any(|e| self.has_aggregate(e.node())) {
                    return Err(self.unsupported(
                        "a select of literals alone (one row in Polars, one per row in SQL)".into(),
                    ));
                }
                self.row_order = inner.order.clone();
                self.broadcast = !scalar;
                self.aggregating = scalar;
                let list = self.select_list(expr, &schema);
                self.aggregating = false;
                self.broadcast = false;
                self.row_order = None;
                let list = list?;
                let names: Vec<String> = expr.iter().map(|e| e.output_name().to_string()).collect();
                Ok(Relation {
                    single_row: scalar || inner.single_row,
                    hidden: false,
                    sql: format!("SELECT {list} FROM ({}) AS {alias}", inner.sql),
                    order: keep_order(inner.order, &names),
                })
            }
            IR::HStack { input, exprs, .. } => {
                let schema = self.schema(*input);
                let inner = self.plan(*input)?;
                let alias = self.alias();
                // The input's columns in place, a replaced one by its new expression, then
                // the new ones.
                self.row_order = inner.order.clone();
                self.broadcast = true;
                let items = self.stacked(&schema, exprs);
                self.broadcast = false;
                self.row_order = None;
                let items = items?;
                let replaced: Vec<String> =
                    exprs.iter().map(|e| e.output_name().to_string()).collect();
                Ok(Relation {
                    single_row: inner.single_row,
                    hidden: false,
                    sql: format!(
                        "SELECT {} FROM ({}) AS {alias}",
                        items.join(", "),
                        inner.sql
                    ),
                    order: inner.order.filter(|keys| {
                        !keys
                            .iter()
                            .any(|k| replaced.iter().any(|r| ident(r) == k.column))
                    }),
                })
            }
            IR::Sort {
                input,
                by_column,
                slice,
                sort_options,
            } => {
                let schema = self.schema(*input);
                let inner = self.plan(*input)?;
                let alias = self.alias();
                let mut keys = Vec::new();
                for (i, by) in by_column.iter().enumerate() {
                    let pick = |v: &[bool]| v.get(i).or(v.first()).copied().unwrap_or(false);
                    keys.push(OrderKey {
                        column: self.expression(by.node(), &schema)?,
                        descending: pick(&sort_options.descending),
                        nulls_last: pick(&sort_options.nulls_last),
                    });
                }
                // A stable sort keeps the input's order among ties: that order, when
                // known, breaks them; when it is not, ties come in any order (as a
                // Polars sort without maintain_order may give them).
                if sort_options.maintain_order {
                    if let Some(previous) = &inner.order {
                        keys.extend(previous.iter().cloned());
                    }
                }
                // The order is applied where it matters: by a slice, or at the end
                // (Spark keeps no order through a subquery).
                let sql = match slice {
                    Some((offset, len, _)) => format!(
                        "SELECT * FROM ({}) AS {alias} ORDER BY {}{}",
                        inner.sql,
                        order_by(&keys),
                        limit(*offset, *len as u64)?
                    ),
                    None => inner.sql,
                };
                Ok(Relation {
                    single_row: inner.single_row,
                    hidden: false,
                    sql,
                    order: Some(keys),
                })
            }
            IR::Slice { input, offset, len } => {
                let inner = self.plan(*input)?;
                let Some(order) = inner.order else {
                    return Err(self.unsupported(
                        "a slice (head, tail, limit) of rows in no known order".into(),
                    ));
                };
                let alias = self.alias();
                Ok(Relation {
                    single_row: false,
                    hidden: false,
                    sql: format!(
                        "SELECT * FROM ({}) AS {alias} ORDER BY {}{}",
                        inner.sql,
                        order_by(&order),
                        limit(*offset, u64::from(*len))?
                    ),
                    order: Some(order),
                })
            }
            IR::GroupBy {
                input,
                keys,
                aggs,
                apply,
                options,
                ..
            } => {
                if apply.is_some() || options.is_dynamic() || options.is_rolling() {
                    return Err(self.unsupported("a group-by with a function or window".into()));
                }
                let schema = self.schema(*input);
                let inner = self.plan(*input)?;
                let alias = self.alias();
                let mut list = Vec::new();
                let mut group = Vec::new();
                for key in keys {
                    let sql = self.expression(key.node(), &schema)?;
                    group.push(sql.clone());
                    list.push(format!("{sql} AS {}", ident(key.output_name())));
                }
                self.aggregating = true;
                let translated = aggs
                    .iter()
                    .map(|agg| self.expression(agg.node(), &schema))
                    .collect::<Result<Vec<_>>>();
                self.aggregating = false;
                for (agg, sql) in aggs.iter().zip(translated?) {
                    list.push(format!("{sql} AS {}", ident(agg.output_name())));
                }
                let group_by = if group.is_empty() {
                    String::new()
                } else {
                    format!(" GROUP BY {}", group.join(", "))
                };
                Ok(Relation {
                    single_row: group.is_empty(),
                    hidden: false,
                    sql: format!(
                        "SELECT {} FROM ({}) AS {alias}{group_by}",
                        list.join(", "),
                        inner.sql
                    ),
                    // Polars' group order (first appearance, or any) is not Spark's.
                    order: None,
                })
            }
            IR::Join {
                input_left,
                input_right,
                left_on,
                right_on,
                options,
                schema,
            } => self.join(
                *input_left,
                *input_right,
                left_on,
                right_on,
                options,
                schema,
            ),
            // Distinct whole rows (any of equal rows kept, which are equal): DISTINCT.
            // Keeping the first or last of a subset depends on order: refused.
            IR::Distinct { input, options }
                if options.subset.is_none()
                    && options.slice.is_none()
                    && matches!(
                        options.keep_strategy,
                        polars::prelude::UniqueKeepStrategy::Any
                            | polars::prelude::UniqueKeepStrategy::First
                    ) =>
            {
                let inner = self.plan(*input)?;
                let alias = self.alias();
                Ok(Relation {
                    single_row: false,
                    hidden: false,
                    sql: format!("SELECT DISTINCT * FROM ({}) AS {alias}", inner.sql),
                    // With maintain_order, Polars keeps first appearances in order; a
                    // known order survives only as the rows' sort, which DISTINCT keeps.
                    order: inner.order,
                })
            }
            // Polars keeps the parts in order, each in its own. When every part is
            // one row, or all are sorted on the same keys, that order is the part's
            // number (a hidden column) and then those keys; otherwise none is known.
            IR::Union { inputs, .. } => {
                let parts = inputs
                    .iter()
                    .map(|i| self.plan(*i))
                    .collect::<Result<Vec<_>>>()?;
                let keys = match parts.iter().all(|p| p.single_row) {
                    true => Some(Vec::new()),
                    false => parts
                        .first()
                        .and_then(|p| p.order.clone())
                        .filter(|first| parts.iter().all(|p| p.order.as_ref() == Some(first))),
                };
                let Some(keys) = keys else {
                    let sql = parts.iter().map(|p| format!("({})", p.sql));
                    return Ok(Relation {
                        single_row: false,
                        hidden: false,
                        sql: sql.collect::<Vec<_>>().join(" UNION ALL "),
                        order: None,
                    });
                };
                let sql = parts.iter().enumerate().map(|(i, p)| {
                    format!(
                        "(SELECT *, {i} AS `__union_part` FROM ({}) AS {})",
                        p.sql,
                        self.alias()
                    )
                });
                let mut order = vec![OrderKey {
                    column: "`__union_part`".into(),
                    descending: false,
                    nulls_last: false,
                }];
                order.extend(keys);
                Ok(Relation {
                    single_row: false,
                    hidden: true,
                    sql: sql.collect::<Vec<_>>().join(" UNION ALL "),
                    order: Some(order),
                })
            }
            // Side by side: one-row relations (global aggregates) only, whose
            // concatenation is their cross join; longer ones would need row positions.
            IR::HConcat { inputs, .. } => {
                let mut list = Vec::new();
                let mut from = Vec::new();
                for input in inputs {
                    let names = self.schema(*input);
                    let inner = self.plan(*input)?;
                    if !inner.single_row {
                        return Err(self.unsupported(
                            "a horizontal concatenation of relations that are not one row each"
                                .into(),
                        ));
                    }
                    let alias = self.alias();
                    list.extend(names.iter_names().map(|n| format!("{alias}.{}", ident(n))));
                    from.push(format!("({}) AS {alias}", inner.sql));
                }
                Ok(Relation {
                    single_row: true,
                    hidden: false,
                    sql: format!(
                        "SELECT {} FROM {}",
                        list.join(", "),
                        from.join(" CROSS JOIN ")
                    ),
                    order: None,
                })
            }
            IR::MapFunction { input, function } => self.map_function(node, *input, function),
            other => Err(self.unsupported(format!("the plan node {}", <&str>::from(other)))),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn join(
        &mut self,
        left: Node,
        right: Node,
        left_on: &[ExprIR],
        right_on: &[ExprIR],
        options: &polars_plan::prelude::JoinOptionsIR,
        schema: &SchemaRef,
    ) -> Result<Relation> {
        let how = match options.args.how {
            JoinType::Inner => "INNER JOIN",
            JoinType::Left => "LEFT OUTER JOIN",
            JoinType::Full => "FULL OUTER JOIN",
            JoinType::Semi => "LEFT SEMI JOIN",
            JoinType::Anti => "LEFT ANTI JOIN",
            JoinType::Cross => "CROSS JOIN",
            ref other => return Err(self.unsupported(format!("a {other} join"))),
        };
        if options.args.nulls_equal {
            return Err(self.unsupported("a join whose null keys match".into()));
        }
        let (left_schema, right_schema) = (self.schema(left), self.schema(right));
        let l = self.plan(left)?;
        let r = self.plan(right)?;
        let (la, ra) = (self.alias(), self.alias());
        let mut on = Vec::new();
        for (lk, rk) in left_on.iter().zip(right_on) {
            let lsql = self.expression(lk.node(), &left_schema)?;
            let rsql = self.expression(rk.node(), &right_schema)?;
            on.push(format!("{la}.{lsql} = {ra}.{rsql}"));
        }
        // The output columns as Polars names them: the left's, then the right's that
        // are not join keys of the same name, renamed with the suffix on a clash.
        let mut list = Vec::new();
        for name in left_schema.iter_names() {
            list.push(format!("{la}.{}", ident(name)));
        }
        if !matches!(options.args.how, JoinType::Semi | JoinType::Anti) {
            let right_keys: Vec<&str> = right_on.iter().map(|e| e.output_name().as_str()).collect();
            // Coalesced keys (inner and left joins) are the left's: the right's key
            // columns leave the output, whatever their names.
            let coalesce = options.args.should_coalesce();
            if coalesce && options.args.how == JoinType::Full {
                return Err(self.unsupported("a full join with coalesced keys".into()));
            }
            let output: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
            for name in right_schema.iter_names() {
                if coalesce && right_keys.contains(&name.as_str()) {
                    continue;
                }
                let out = if left_schema.contains(name) {
                    format!("{name}{}", options.args.suffix())
                } else {
                    name.to_string()
                };
                if !output.contains(&out.as_str()) {
                    return Err(self.unsupported(format!("the join output column {out}")));
                }
                list.push(format!("{ra}.{} AS {}", ident(name), ident(&out)));
            }
        }
        let on = match on.is_empty() {
            true => String::new(),
            false => format!(" ON {}", on.join(" AND ")),
        };
        // Polars keeps the left's order when asked (`MaintainOrderJoin::Left`) in a
        // join that keeps every left row in place: that order is the left's sort.
        let keeps_left = options.args.maintain_order == polars::prelude::MaintainOrderJoin::Left
            && matches!(
                options.args.how,
                JoinType::Inner | JoinType::Left | JoinType::Semi | JoinType::Anti
            );
        Ok(Relation {
            single_row: false,
            hidden: false,
            sql: format!(
                "SELECT {} FROM ({}) AS {la} {how} ({}) AS {ra}{on}",
                list.join(", "),
                l.sql,
                r.sql,
            ),
            order: l.order.filter(|_| keeps_left),
        })
    }

    /// A plan-level function: the explode of one list column, a row index.
    fn map_function(
        &mut self,
        node: Node,
        input: Node,
        function: &polars_plan::prelude::FunctionIR,
    ) -> Result<Relation> {
        use polars_plan::prelude::FunctionIR;
        let schema = self.schema(input);
        let inner = self.plan(input)?;
        let alias = self.alias();
        match function {
            FunctionIR::Explode {
                columns, options, ..
            } if columns.len() == 1 => {
                // Polars turns a null or an empty list into one null row when both
                // options hold (Spark's explode_outer) and drops it when neither does
                // (explode).
                let generator =
                    match (options.empty_as_null, options.keep_nulls) {
                        (true, true) => "explode_outer",
                        (false, false) => "explode",
                        _ => return Err(self.unsupported(
                            "an explode that keeps one of null and empty lists but not the other"
                                .into(),
                        )),
                    };
                let exploded = &columns[0];
                let list = schema
                    .iter_names()
                    .map(|n| match n == exploded {
                        true => format!("{generator}({}) AS {}", ident(n), ident(n)),
                        false => ident(n),
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                Ok(Relation {
                    single_row: false,
                    hidden: false,
                    sql: format!("SELECT {list} FROM ({}) AS {alias}", inner.sql),
                    // The elements of a list have no position in the SQL.
                    order: None,
                })
            }
            FunctionIR::RowIndex { name, offset, .. } => {
                let Some(order) = inner.order.clone() else {
                    return Err(self.unsupported("a row index of rows in no known order".into()));
                };
                Ok(Relation {
                    single_row: inner.single_row,
                    hidden: false,
                    sql: format!(
                        "SELECT CAST(row_number() OVER (ORDER BY {}) - 1 + {} AS BIGINT) AS {}, \
                         {} FROM ({}) AS {alias}",
                        order_by(&order),
                        offset.unwrap_or(0),
                        ident(name),
                        self.all_columns(input),
                        inner.sql
                    ),
                    order: inner.order,
                })
            }
            other => {
                let _ = node;
                Err(self.unsupported(format!("the plan function {}", kind(format!("{other}")))))
            }
        }
    }

    /// Whether an aggregate (or a row count) is somewhere in the expression.
    fn has_aggregate(&self, node: Node) -> bool {
        let e = self.expr.get(node);
        if matches!(e, AExpr::Agg(_) | AExpr::Len) {
            return true;
        }
        let mut inputs = Vec::new();
        e.children_rev(&mut inputs);
        inputs.into_iter().any(|n| self.has_aggregate(n))
    }

    /// `sort_by(by).…` of a group's values as an array of structs sorted like Polars
    /// sorts them: `array_sort(collect_list(named_struct('k0', …, 'v', value)))`,
    /// whose elements' `v` are the values in order. A descending key is negated
    /// (numbers only); nulls sort first in both (Polars' default), and nulls last
    /// is refused.
    fn sorted_values(&mut self, sort_by: Node, schema: &Schema) -> Result<String> {
        let AExpr::SortBy {
            expr,
            by,
            sort_options,
        } = self.expr.get(sort_by)
        else {
            return Err(self.unsupported(
                "an order-dependent aggregation (first, string join) of rows in no known \
                 order; sort_by gives one"
                    .into(),
            ));
        };
        let (expr, by, sort_options) = (*expr, by.clone(), sort_options.clone());
        let mut fields = Vec::new();
        for (i, key) in by.iter().enumerate() {
            let pick = |v: &[bool]| v.get(i).or(v.first()).copied().unwrap_or(false);
            if pick(&sort_options.nulls_last) {
                return Err(self.unsupported("a sort_by with nulls last in an aggregation".into()));
            }
            let sql = self.expression(*key, schema)?;
            let sql = match (pick(&sort_options.descending), self.dtype(*key, schema)?) {
                (false, _) => sql,
                (true, t) if t.is_integer() => format!("(- CAST({sql} AS BIGINT))"),
                (true, t) if t.is_float() => format!("(- {sql})"),
                (true, t) => {
                    return Err(self.unsupported(format!(
                        "a descending sort_by on {t} in an aggregation (numbers only)"
                    )))
                }
            };
            fields.push(format!("'k{i}', {sql}"));
        }
        fields.push(format!("'v', {}", self.expression(expr, schema)?));
        Ok(format!(
            "array_sort(collect_list(named_struct({})))",
            fields.join(", ")
        ))
    }

    /// The literal text of a string literal expression.
    fn literal_text(&self, node: Node) -> Option<String> {
        use polars_plan::prelude::DynLiteralValue;
        match self.expr.get(node) {
            AExpr::Literal(LiteralValue::Dyn(DynLiteralValue::Str(s))) => Some(s.to_string()),
            AExpr::Literal(LiteralValue::Scalar(scalar)) => match scalar.value() {
                AnyValue::String(s) => Some(s.to_string()),
                AnyValue::StringOwned(s) => Some(s.to_string()),
                _ => None,
            },
            _ => None,
        }
    }

    fn is_null_literal(&self, node: Node) -> bool {
        match self.expr.get(node) {
            AExpr::Literal(LiteralValue::Scalar(scalar)) => scalar.is_null(),
            _ => false,
        }
    }

    /// The select list of `with_columns(exprs)` over `schema`: the columns in place,
    /// a replaced one by its new expression, then the new ones.
    fn stacked(&mut self, schema: &Schema, exprs: &[ExprIR]) -> Result<Vec<String>> {
        let mut items = Vec::new();
        for name in schema.iter_names() {
            match exprs.iter().find(|e| e.output_name() == name) {
                Some(e) => items.push(format!(
                    "{} AS {}",
                    self.expression(e.node(), schema)?,
                    ident(name)
                )),
                None => items.push(ident(name)),
            }
        }
        for e in exprs.iter().filter(|e| !schema.contains(e.output_name())) {
            items.push(format!(
                "{} AS {}",
                self.expression(e.node(), schema)?,
                ident(e.output_name())
            ));
        }
        Ok(items)
    }

    fn select_list(&mut self, exprs: &[ExprIR], schema: &Schema) -> Result<String> {
        let mut items = Vec::new();
        for e in exprs {
            items.push(format!(
                "{} AS {}",
                self.expression(e.node(), schema)?,
                ident(e.output_name())
            ));
        }
        Ok(items.join(", "))
    }

    fn dtype(&self, node: Node, schema: &Schema) -> Result<DataType> {
        let ctx = ToFieldContext::new(self.expr, schema);
        self.expr
            .get(node)
            .to_dtype(&ctx)
            .map_err(|e| anyhow!("{}: cannot type an expression: {e}", self.rule))
    }

    fn expression(&mut self, node: Node, schema: &Schema) -> Result<String> {
        let e = |t: &mut Self, n: Node| t.expression(n, schema);
        Ok(match self.expr.get(node) {
            AExpr::Column(name) => ident(name),
            AExpr::Literal(value) => self.literal(value)?,
            AExpr::BinaryExpr { left, op, right } => {
                let (l, r) = (e(self, *left)?, e(self, *right)?);
                match op {
                    Operator::Eq => format!("({l} = {r})"),
                    Operator::NotEq => format!("({l} <> {r})"),
                    Operator::EqValidity => format!("({l} <=> {r})"),
                    Operator::NotEqValidity => format!("(NOT ({l} <=> {r}))"),
                    Operator::Lt => format!("({l} < {r})"),
                    Operator::LtEq => format!("({l} <= {r})"),
                    Operator::Gt => format!("({l} > {r})"),
                    Operator::GtEq => format!("({l} >= {r})"),
                    Operator::Plus => format!("({l} + {r})"),
                    Operator::Minus => format!("({l} - {r})"),
                    Operator::Multiply => format!("({l} * {r})"),
                    Operator::TrueDivide => format!("(CAST({l} AS DOUBLE) / {r})"),
                    Operator::RustDivide => {
                        if self.dtype(*left, schema)?.is_integer()
                            && self.dtype(*right, schema)?.is_integer()
                        {
                            format!("({l} div {r})")
                        } else {
                            format!("({l} / {r})")
                        }
                    }
                    Operator::FloorDivide => {
                        if self.dtype(*left, schema)?.is_float()
                            || self.dtype(*right, schema)?.is_float()
                        {
                            format!("CAST(floor({l} / {r}) AS DOUBLE)")
                        } else {
                            // Exact in integers: pmod has the divisor's sign, so the
                            // difference is a multiple of it.
                            format!("(({l} - pmod({l}, {r})) div {r})")
                        }
                    }
                    Operator::Modulus => format!("pmod({l}, {r})"),
                    Operator::LogicalAnd => format!("({l} AND {r})"),
                    Operator::LogicalOr => format!("({l} OR {r})"),
                    Operator::And | Operator::Or | Operator::Xor => {
                        let logical = self.dtype(*left, schema)? == DataType::Boolean;
                        let sql = match (op, logical) {
                            (Operator::And, true) => "AND",
                            (Operator::Or, true) => "OR",
                            (Operator::Xor, true) => "<>",
                            (Operator::And, false) => "&",
                            (Operator::Or, false) => "|",
                            _ => "^",
                        };
                        format!("({l} {sql} {r})")
                    }
                }
            }
            AExpr::Cast { expr, dtype, .. } => {
                let from = self.dtype(*expr, schema)?;
                let inner = e(self, *expr)?;
                match (&from, dtype) {
                    // A date as a number is its day since 1970-01-01 in Polars.
                    (DataType::Date, to) if to.is_integer() => {
                        format!("CAST(unix_date({inner}) AS {})", self.spark_type(to)?)
                    }
                    (from, DataType::Date) if from.is_integer() => {
                        format!("date_from_unix_date({inner})")
                    }
                    // Text that does not read as the number is null in Polars (a
                    // non-strict cast) and an error in ANSI Spark; Spark also reads
                    // forms Polars does not (`1.5d`, surrounding control characters):
                    // only the text Polars reads is cast.
                    (DataType::String, to) if to.is_primitive_numeric() => {
                        let shape = if to.is_integer() {
                            INTEGER_TEXT
                        } else {
                            FLOAT_TEXT
                        };
                        format!(
                            "CASE WHEN {inner} RLIKE {} THEN try_cast({inner} AS {}) END",
                            string_literal(shape),
                            self.spark_type(dtype)?
                        )
                    }
                    _ => format!("CAST({inner} AS {})", self.spark_type(dtype)?),
                }
            }
            AExpr::Ternary {
                predicate,
                truthy,
                falsy,
            } => format!(
                "CASE WHEN {} THEN {} ELSE {} END",
                e(self, *predicate)?,
                e(self, *truthy)?,
                e(self, *falsy)?
            ),
            AExpr::Len => format!("count(*){}", self.aggregate_window()),
            AExpr::AnonymousFunction { input, fmt_str, .. } => {
                let args = input
                    .iter()
                    .map(|i| e(self, i.node()))
                    .collect::<Result<Vec<_>>>()?;
                let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
                match fmt_str.as_str() {
                    // One IEEE division of the two sides as doubles.
                    crate::transforms::exact::RATIO => {
                        format!("(CAST({} AS DOUBLE) / CAST({} AS DOUBLE))", arg(0), arg(1))
                    }
                    // Σhigh · 2³² + Σlow: a BIGINT overflow is an error in ANSI mode,
                    // as it is in Polars' checked sum.
                    crate::transforms::exact::CHECKED_SUM => {
                        format!("(({}) * 4294967296L + ({}))", arg(0), arg(1))
                    }
                    crate::transforms::exact::ORDER_INDEPENDENT_SUM => {
                        order_independent_sum(&[arg(0), arg(1), arg(2), arg(3), arg(4), arg(5)])
                    }
                    name if crate::transforms::exact::SUM_LIMBS.contains(&name) => {
                        let k = crate::transforms::exact::SUM_LIMBS
                            .iter()
                            .position(|limb| *limb == name)
                            .unwrap_or_default();
                        sum_limb(&arg(0), k)
                    }
                    // `yyyymm` of a date or timestamp (`transforms::month_key`).
                    crate::transforms::trend::MONTH_KEY => {
                        format!("CAST(year({0}) * 100 + month({0}) AS INT)", arg(0))
                    }
                    // Whitespace stripped as Polars' `strip_chars(NULL)` strips it
                    // (`crate::fast::strip_whitespace`).
                    crate::fast::text::STRIP_WHITESPACE => strip_whitespace(&arg(0)),
                    // The same, and null where nothing is left
                    // (`crate::fast::trim_to_null`).
                    crate::fast::text::TRIM_TO_NULL => {
                        format!("nullif({}, '')", strip_whitespace(&arg(0)))
                    }
                    // Text read in the first of several formats that reads it
                    // (`schema::parse_datetime`).
                    other if other.starts_with(crate::schema::PARSE_DATETIME) => {
                        let formats: Vec<&str> = other[crate::schema::PARSE_DATETIME.len()..]
                            .split(crate::schema::FORMAT_SEPARATOR)
                            .collect();
                        self.first_format_timestamp(&arg(0), &formats)?
                    }
                    // The byte-by-byte check of a whole-value pattern
                    // (`crate::fast::matches_regex`): the pattern itself.
                    other if other.starts_with(crate::fast::regex::WHOLE_VALUE_REGEX) => {
                        let pattern = &other[crate::fast::regex::WHOLE_VALUE_REGEX.len()..];
                        format!(
                            "({} RLIKE {})",
                            arg(0),
                            string_literal(&java_regex(pattern))
                        )
                    }
                    other => {
                        return Err(self.unsupported(format!(
                            "the user-defined function `{other}` (a map or apply closure)"
                        )))
                    }
                }
            }
            AExpr::Over {
                function,
                partition_by,
                order_by: None,
                mapping: polars_plan::prelude::WindowMapping::GroupsToRows,
            } => {
                let keys = partition_by
                    .iter()
                    .map(|p| e(self, *p))
                    .collect::<Result<Vec<_>>>()?;
                if self.window.is_some() {
                    return Err(self.unsupported("a window inside a window".into()));
                }
                self.window = Some(format!(" OVER (PARTITION BY {})", keys.join(", ")));
                self.partition = keys;
                let function = e(self, *function);
                self.window = None;
                self.partition = Vec::new();
                function?
            }
            AExpr::Agg(agg) => self.aggregate(agg, schema)?,
            // The value at a position of a column's sorted non-null values (how a
            // quantile picks its element): an element of the sorted collected list,
            // null past the end as Polars' `get(…, null_on_oob)` gives.
            AExpr::Gather {
                expr,
                idx,
                returns_scalar: true,
                null_on_oob: true,
            } => {
                let AExpr::Sort {
                    expr: sorted,
                    options,
                } = self.expr.get(*expr)
                else {
                    return Err(self.unsupported("a gather from an unsorted column".into()));
                };
                let AExpr::Function {
                    input,
                    function: IRFunctionExpr::DropNulls,
                    ..
                } = self.expr.get(*sorted)
                else {
                    return Err(self.unsupported(
                        "a gather from sorted values that may hold nulls (drop_nulls first)".into(),
                    ));
                };
                let (values, ascending) = (input[0].node(), !options.descending);
                let w = self.aggregate_window();
                let x = e(self, values)?;
                let i = e(self, *idx)?;
                format!(
                    "get(sort_array(collect_list({x}){w}, {}), CAST({i} AS INT))",
                    ascending.to_string().to_uppercase()
                )
            }
            // A group's texts joined in an explicit order (`sort_by`), nulls skipped
            // (as array_join skips them).
            AExpr::Function {
                input,
                function:
                    IRFunctionExpr::StringExpr(IRStringFunction::ConcatVertical {
                        delimiter,
                        ignore_nulls: true,
                    }),
                ..
            } if self.aggregating => format!(
                "array_join(transform({}, e -> e.v), {})",
                self.sorted_values(input[0].node(), schema)?,
                string_literal(delimiter)
            ),
            AExpr::Function {
                input, function, ..
            } => {
                let args = input
                    .iter()
                    .map(|i| e(self, i.node()))
                    .collect::<Result<Vec<_>>>()?;
                let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
                match function {
                    IRFunctionExpr::Boolean(IRBooleanFunction::IsNull) => {
                        format!("({} IS NULL)", arg(0))
                    }
                    IRFunctionExpr::Boolean(IRBooleanFunction::IsNotNull) => {
                        format!("({} IS NOT NULL)", arg(0))
                    }
                    // A null is neither in nor out: null in Polars (without
                    // nulls_equal) and in SQL's IN alike.
                    IRFunctionExpr::Boolean(IRBooleanFunction::IsIn { nulls_equal: false }) => {
                        format!("({} IN {})", arg(0), arg(1))
                    }
                    IRFunctionExpr::Boolean(IRBooleanFunction::Not) => {
                        format!("(NOT {})", arg(0))
                    }
                    IRFunctionExpr::FillNull => format!("coalesce({}, {})", arg(0), arg(1)),
                    IRFunctionExpr::Coalesce => format!("coalesce({})", args.join(", ")),
                    // `int_range(0, len())`: each row's position, 0-based, in the known
                    // row order (within the window's partition, in an `over`).
                    IRFunctionExpr::Range(polars_plan::prelude::IRRangeFunction::IntRange {
                        step: 1,
                        ..
                    }) if matches!(arg(0).as_str(), "0" | "0L")
                        && arg(1).starts_with("count(*)") =>
                    {
                        let Some(order) = self.row_order.clone() else {
                            return Err(self.unsupported(
                                "a row number (int_range over len) of rows in no known order"
                                    .into(),
                            ));
                        };
                        let partition = match self.partition.is_empty() {
                            true => String::new(),
                            false => format!("PARTITION BY {} ", self.partition.join(", ")),
                        };
                        format!(
                            "(row_number() OVER ({partition}ORDER BY {}) - 1)",
                            order_by(&order)
                        )
                    }
                    // Null when any is null, as `+` is in SQL.
                    IRFunctionExpr::SumHorizontal {
                        ignore_nulls: false,
                    } => format!("({})", args.join(" + ")),
                    // Both skip nulls, null when all are.
                    IRFunctionExpr::MaxHorizontal => format!("greatest({})", args.join(", ")),
                    IRFunctionExpr::MinHorizontal => format!("least({})", args.join(", ")),
                    // An aggregate: the rows less the non-null values.
                    IRFunctionExpr::NullCount => {
                        let w = self.aggregate_window();
                        format!("(count(*){w} - count({}){w})", arg(0))
                    }
                    // Unicode's full case mappings in Rust, Java and Sail alike.
                    IRFunctionExpr::StringExpr(IRStringFunction::Lowercase) => {
                        format!("lower({})", arg(0))
                    }
                    IRFunctionExpr::StringExpr(IRStringFunction::Uppercase) => {
                        format!("upper({})", arg(0))
                    }
                    IRFunctionExpr::StringExpr(IRStringFunction::StartsWith) => {
                        format!("startswith({}, {})", arg(0), arg(1))
                    }
                    IRFunctionExpr::StringExpr(IRStringFunction::EndsWith) => {
                        format!("endswith({}, {})", arg(0), arg(1))
                    }
                    IRFunctionExpr::StringExpr(IRStringFunction::Contains {
                        literal: true,
                        ..
                    }) => format!("contains({}, {})", arg(0), arg(1)),
                    // A regex found anywhere, as RLIKE finds it; the patterns the rules
                    // use (classes, anchors, groups) read alike in Java and Rust.
                    IRFunctionExpr::StringExpr(IRStringFunction::Contains {
                        literal: false,
                        strict: true,
                    }) => match self.literal_text(input[1].node()) {
                        Some(pattern) => format!(
                            "({} RLIKE {})",
                            arg(0),
                            string_literal(&java_regex(&pattern))
                        ),
                        None => format!("({} RLIKE {})", arg(0), arg(1)),
                    },
                    // Null when a part is null (concat), or nulls skipped (concat_ws).
                    IRFunctionExpr::StringExpr(IRStringFunction::ConcatHorizontal {
                        delimiter,
                        ignore_nulls,
                    }) => match ignore_nulls {
                        true => format!(
                            "concat_ws({}, {})",
                            string_literal(delimiter),
                            args.join(", ")
                        ),
                        false => format!(
                            "concat({})",
                            args.join(&format!(", {}, ", string_literal(delimiter)))
                        ),
                    },
                    IRFunctionExpr::Pow(polars_plan::prelude::IRPowFunction::Sqrt) => {
                        format!("sqrt({})", arg(0))
                    }
                    // Polars splits on the literal text; Spark's split takes a regex.
                    IRFunctionExpr::StringExpr(IRStringFunction::Split(false)) => {
                        let Some(separator) = self.literal_text(input[1].node()) else {
                            return Err(
                                self.unsupported("a split on a separator that varies".into())
                            );
                        };
                        format!(
                            "split({}, {}, -1)",
                            arg(0),
                            string_literal(&regex_escape(&separator))
                        )
                    }
                    // Whitespace as Rust's `char::is_whitespace` knows it (Unicode
                    // White_Space); Spark's trim strips spaces alone.
                    IRFunctionExpr::StringExpr(IRStringFunction::StripChars)
                        if self.is_null_literal(input[1].node()) =>
                    {
                        strip_whitespace(&arg(0))
                    }
                    // Polars' offset is 0-based and counts from the end when negative;
                    // Spark's position is 1-based, and counts from the end when negative.
                    IRFunctionExpr::StringExpr(IRStringFunction::Slice) => format!(
                        "substring({0}, CAST(CASE WHEN {1} >= 0 THEN {1} + 1 ELSE {1} END AS \
                         INT), CAST({2} AS INT))",
                        arg(0),
                        arg(1),
                        arg(2)
                    ),
                    IRFunctionExpr::TemporalExpr(
                        polars_plan::prelude::IRTemporalFunction::ToString(format),
                    ) => format!(
                        "date_format({}, {})",
                        arg(0),
                        string_literal(&java_datetime_pattern(format).map_err(|e| {
                            self.unsupported(format!("the date format `{format}` ({e})"))
                        })?)
                    ),
                    // To whole numbers only: Polars rounds the binary value, Spark the
                    // shortest decimal text of a double, which agree at 0 decimals
                    // (a double that is not exactly x.5 never prints as x.5).
                    IRFunctionExpr::Round { decimals: 0, mode } => {
                        let f = match mode {
                            polars::prelude::RoundMode::HalfToEven => "bround",
                            polars::prelude::RoundMode::HalfAwayFromZero => "round",
                            other => {
                                return Err(self
                                    .unsupported(format!("rounding {other:?} to whole numbers")))
                            }
                        };
                        format!("{f}({}, 0)", arg(0))
                    }
                    // Each row's list of integers from start (inclusive) to end
                    // (exclusive) by a positive step, empty when end <= start; Spark's
                    // sequence includes its end, and refuses an empty range.
                    IRFunctionExpr::Range(polars_plan::prelude::IRRangeFunction::IntRanges {
                        dtype,
                    }) if matches!(arg(2).as_str(), "1" | "1L") => {
                        let t = self.spark_type(dtype)?;
                        format!(
                            "CASE WHEN {1} > {0} THEN sequence(CAST({0} AS {t}), CAST({1} - 1 AS \
                             {t}), CAST(1 AS {t})) ELSE CAST(array() AS ARRAY<{t}>) END",
                            arg(0),
                            arg(1)
                        )
                    }
                    // Spark's floor of a double is a BIGINT; Polars keeps the float.
                    IRFunctionExpr::Floor => format!("CAST(floor({}) AS DOUBLE)", arg(0)),
                    IRFunctionExpr::TemporalExpr(part) => {
                        use polars_plan::prelude::IRTemporalFunction as T;
                        let f = match part {
                            T::Year => "year",
                            T::Month => "month",
                            T::Day => "dayofmonth",
                            T::Hour => "hour",
                            T::Minute => "minute",
                            T::Second => "second",
                            T::Date => "to_date",
                            other => {
                                return Err(self.unsupported(format!("the function dt.{other}")))
                            }
                        };
                        format!("{f}({})", arg(0))
                    }
                    IRFunctionExpr::Abs => format!("abs({})", arg(0)),
                    // Null for null in Polars; Spark's isnan(NULL) is false.
                    IRFunctionExpr::Boolean(IRBooleanFunction::IsNan) => {
                        format!("CASE WHEN {0} IS NOT NULL THEN isnan({0}) END", arg(0))
                    }
                    IRFunctionExpr::StringExpr(IRStringFunction::Replace {
                        n: -1,
                        literal: true,
                    }) => format!("replace({}, {}, {})", arg(0), arg(1), arg(2)),
                    IRFunctionExpr::StringExpr(IRStringFunction::StripSuffix) => {
                        let Some(suffix) = self.literal_text(input[1].node()) else {
                            return Err(
                                self.unsupported("a strip_suffix of a suffix that varies".into())
                            );
                        };
                        format!(
                            "regexp_replace({}, {}, '')",
                            arg(0),
                            string_literal(&format!("{}\\z", regex_escape(&suffix)))
                        )
                    }
                    IRFunctionExpr::StringExpr(IRStringFunction::LenChars) => {
                        format!("char_length({})", arg(0))
                    }
                    // Text read in one format, exactly, null where it does not read:
                    // `try_to_timestamp` with the format as a Java pattern, in UTC.
                    IRFunctionExpr::StringExpr(IRStringFunction::Strptime(dtype, options))
                        if options.exact =>
                    {
                        let Some(format) = &options.format else {
                            return Err(self.unsupported("a strptime without a format".into()));
                        };
                        let pattern = java_parse_pattern(format).map_err(|e| {
                            self.unsupported(format!("the date format `{format}` ({e})"))
                        })?;
                        let parsed =
                            format!("try_to_timestamp({}, {})", arg(0), string_literal(&pattern));
                        match dtype {
                            DataType::Date => format!("CAST({parsed} AS DATE)"),
                            DataType::Datetime(_, None) => parsed,
                            other => return Err(self.unsupported(format!("a strptime to {other}"))),
                        }
                    }
                    IRFunctionExpr::Negate => format!("(- {})", arg(0)),
                    other => return Err(self.unsupported(format!("the function {other}"))),
                }
            }
            other => {
                return Err(
                    self.unsupported(format!("the expression {}", kind(format!("{other:?}"))))
                )
            }
        })
    }

    /// The window an aggregate call takes here: the `over`'s, `OVER ()` when it is
    /// broadcast to every row, none in a group-by or a select of aggregates.
    fn aggregate_window(&self) -> String {
        match (&self.window, self.broadcast) {
            (Some(window), _) => window.clone(),
            (None, true) => " OVER ()".to_string(),
            (None, false) => String::new(),
        }
    }

    fn aggregate(&mut self, agg: &IRAggExpr, schema: &Schema) -> Result<String> {
        let w = self.aggregate_window();
        // The first of one value is that value.
        if let IRAggExpr::First(n) = agg {
            if polars_plan::plans::is_scalar_ae(*n, self.expr) {
                return self.expression(*n, schema);
            }
        }
        // An aggregate of the values a condition keeps (`x.filter(c).agg()`): the
        // others become nulls, which the aggregates skip; counts say it explicitly.
        let (input, mask) = match agg {
            IRAggExpr::Sum(n)
            | IRAggExpr::Mean(n)
            | IRAggExpr::Median(n)
            | IRAggExpr::NUnique(n)
            | IRAggExpr::Min { input: n, .. }
            | IRAggExpr::Max { input: n, .. }
            | IRAggExpr::Count { input: n, .. } => match self.expr.get(*n) {
                AExpr::Filter { input, by } => (Some(*input), Some(*by)),
                _ => (None, None),
            },
            _ => (None, None),
        };
        if let (Some(input), Some(by)) = (input, mask) {
            let x = self.expression(input, schema)?;
            let c = self.expression(by, schema)?;
            let kept = format!("CASE WHEN {c} THEN {x} END");
            return Ok(match agg {
                IRAggExpr::Sum(_) => format!("coalesce(sum({kept}){w}, 0)"),
                IRAggExpr::Mean(_) => format!("avg({kept}){w}"),
                IRAggExpr::Median(_) => format!("percentile({kept}, 0.5){w}"),
                IRAggExpr::Min {
                    propagate_nans: false,
                    ..
                } => format!("min({kept}){w}"),
                IRAggExpr::Max {
                    propagate_nans: false,
                    ..
                } => format!("max({kept}){w}"),
                IRAggExpr::Count {
                    include_nulls: false,
                    ..
                } => format!("count({kept}){w}"),
                IRAggExpr::Count {
                    include_nulls: true,
                    ..
                } => format!("count(CASE WHEN {c} THEN 1 END){w}"),
                IRAggExpr::NUnique(_) if w.is_empty() => format!(
                    "(count(DISTINCT {kept}) + coalesce(max(CASE WHEN ({c}) AND {x} IS NULL \
                     THEN 1 ELSE 0 END), 0))"
                ),
                other => {
                    return Err(self.unsupported(format!(
                        "the aggregation {} of filtered values",
                        kind(format!("{other:?}"))
                    )))
                }
            });
        }
        // The number of values but nulls (`drop_nulls().len()`).
        if let IRAggExpr::Count {
            input,
            include_nulls: true,
        } = agg
        {
            if let AExpr::Function {
                input,
                function: IRFunctionExpr::DropNulls,
                ..
            } = self.expr.get(*input)
            {
                let x = self.expression(input[0].node(), schema)?;
                return Ok(format!("count({x}){w}"));
            }
        }
        // The first of a group's values in an explicit order (`sort_by(…).first()`).
        if let IRAggExpr::First(n) = agg {
            if self.aggregating {
                return Ok(format!("{}[0].v", self.sorted_values(*n, schema)?));
            }
        }
        // Distinct values but null (`drop_nulls().n_unique()`): COUNT(DISTINCT).
        if let IRAggExpr::NUnique(n) = agg {
            if let AExpr::Function {
                input,
                function: IRFunctionExpr::DropNulls,
                ..
            } = self.expr.get(*n)
            {
                let x = self.expression(input[0].node(), schema)?;
                return Ok(match w.is_empty() {
                    true => format!("count(DISTINCT {x})"),
                    false => format!("size(collect_set({x}){w})"),
                });
            }
        }
        let mut e = |n: Node| self.expression(n, schema);
        Ok(match agg {
            // Polars: 0 over no non-null value; Spark: NULL.
            IRAggExpr::Sum(n) => format!("coalesce(sum({}){w}, 0)", e(*n)?),
            IRAggExpr::Mean(n) => format!("avg({}){w}", e(*n)?),
            IRAggExpr::Min {
                input,
                propagate_nans: false,
            } => format!("min({}){w}", e(*input)?),
            IRAggExpr::Max {
                input,
                propagate_nans: false,
            } => format!("max({}){w}", e(*input)?),
            IRAggExpr::Median(n) => format!("percentile({}, 0.5){w}", e(*n)?),
            IRAggExpr::Count {
                input,
                include_nulls: false,
            } => format!("count({}){w}", e(*input)?),
            IRAggExpr::Count {
                include_nulls: true,
                ..
            } => format!("count(*){w}"),
            // Polars counts null as one more value; COUNT(DISTINCT) skips it.
            IRAggExpr::NUnique(n) if w.is_empty() => {
                let x = e(*n)?;
                format!(
                    "(count(DISTINCT {x}) + coalesce(max(CASE WHEN {x} IS NULL THEN 1 ELSE 0 END), 0))"
                )
            }
            // SQL has no DISTINCT in a window: the size of the set of values.
            IRAggExpr::NUnique(n) => {
                let x = e(*n)?;
                format!(
                    "(size(collect_set({x}){w}) + coalesce(max(CASE WHEN {x} IS NULL THEN 1 ELSE 0 END){w}, 0))"
                )
            }
            other => {
                return Err(self.unsupported(format!(
                    "the aggregation {} (order-dependent or NaN-propagating)",
                    kind(format!("{other:?}"))
                )));
            }
        })
    }

    fn literal(&self, value: &LiteralValue) -> Result<String> {
        use polars_plan::prelude::DynLiteralValue;
        Ok(match value {
            LiteralValue::Dyn(DynLiteralValue::Int(v)) => v.to_string(),
            LiteralValue::Dyn(DynLiteralValue::Float(v)) => float_literal(*v)?,
            LiteralValue::Dyn(DynLiteralValue::Str(v)) => string_literal(v),
            LiteralValue::Scalar(scalar) => self.any_value(scalar.value())?,
            // A list of values, as `is_in` takes it.
            LiteralValue::Series(series) => {
                let values = (0..series.len())
                    .map(|i| {
                        let value = series.get(i).map_err(|e| anyhow!("{e}"))?;
                        self.any_value(&value)
                    })
                    .collect::<Result<Vec<_>>>()?;
                format!("({})", values.join(", "))
            }
            _ => return Err(self.unsupported("a range literal".into())),
        })
    }

    /// One value as a Spark SQL literal.
    fn any_value(&self, value: &AnyValue) -> Result<String> {
        Ok(match value {
            AnyValue::Null => "NULL".to_string(),
            AnyValue::Boolean(b) => b.to_string().to_uppercase(),
            AnyValue::String(s) => string_literal(s),
            AnyValue::StringOwned(s) => string_literal(s),
            AnyValue::Int8(v) => v.to_string(),
            AnyValue::Int16(v) => v.to_string(),
            AnyValue::Int32(v) => v.to_string(),
            AnyValue::Int64(v) => format!("{v}L"),
            AnyValue::UInt8(v) => v.to_string(),
            AnyValue::UInt16(v) => v.to_string(),
            AnyValue::UInt32(v) => format!("{v}L"),
            // BIGINT: a value past its range is an error, never a wrong number.
            AnyValue::UInt64(v) => match i64::try_from(*v) {
                Ok(v) => format!("{v}L"),
                Err(_) => return Err(self.unsupported(format!("the UInt64 literal {v}"))),
            },
            AnyValue::Float32(v) => float_literal(f64::from(*v))?,
            AnyValue::Float64(v) => float_literal(*v)?,
            AnyValue::Date(days) => {
                let date = chrono::NaiveDate::from_num_days_from_ce_opt(days + 719_163)
                    .ok_or_else(|| {
                        anyhow!("{}: the date literal {days} is out of range", self.rule)
                    })?;
                format!("DATE '{date}'")
            }
            AnyValue::List(values) => {
                let values = (0..values.len())
                    .map(|i| {
                        let value = values.get(i).map_err(|e| anyhow!("{e}"))?;
                        self.any_value(&value)
                    })
                    .collect::<Result<Vec<_>>>()?;
                format!("({})", values.join(", "))
            }
            other => {
                return Err(self.unsupported(format!("the literal {other} ({})", other.dtype())))
            }
        })
    }

    /// [`crate::schema::parse_datetime`] of the text `text` in `formats`: the first
    /// format that reads it, null before the year 1000 or with a minute or second of
    /// 60, as the local kernel has it.
    fn first_format_timestamp(&self, text: &str, formats: &[&str]) -> Result<String> {
        let parsed = formats
            .iter()
            .map(|format| {
                let pattern = java_parse_pattern(format)
                    .map_err(|e| self.unsupported(format!("the date format `{format}` ({e})")))?;
                Ok(format!(
                    "try_to_timestamp({text}, {})",
                    string_literal(&pattern)
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let parsed = format!("coalesce({})", parsed.join(", "));
        Ok(format!(
            "CASE WHEN CAST({parsed} AS DATE) >= DATE '1000-01-01' AND NOT \
             coalesce(contains({text}, ':60'), false) THEN {parsed} END"
        ))
    }

    fn spark_type(&self, dtype: &DataType) -> Result<&'static str> {
        Ok(match dtype {
            DataType::Boolean => "BOOLEAN",
            DataType::Int8 => "TINYINT",
            DataType::Int16 => "SMALLINT",
            DataType::Int32 => "INT",
            DataType::Int64 => "BIGINT",
            DataType::UInt8 => "SMALLINT",
            DataType::UInt16 => "INT",
            DataType::UInt32 => "BIGINT",
            // Counts and sums: a value past BIGINT is an error in ANSI mode.
            DataType::UInt64 => "BIGINT",
            DataType::Float32 => "FLOAT",
            DataType::Float64 => "DOUBLE",
            DataType::String => "STRING",
            DataType::Date => "DATE",
            DataType::Datetime(TimeUnit::Microseconds, None) => "TIMESTAMP_NTZ",
            other => return Err(self.unsupported(format!("a cast to {other}"))),
        })
    }
}

/// `text` without the Unicode whitespace around it, as Rust's `str::trim` (and
/// so Polars' `strip_chars(NULL)`) strips it; Spark's `trim` strips spaces alone.
fn strip_whitespace(text: &str) -> String {
    format!(
        "regexp_replace({text}, {}, '')",
        string_literal(&format!("\\A{WHITE_SPACE}+|{WHITE_SPACE}+\\z"))
    )
}

/// Unicode White_Space, which Rust's `char::is_whitespace` (Polars' `strip_chars`)
/// strips, as a regex class both Java's and Rust's regex engines read alike.
const WHITE_SPACE: &str = r"[\x{9}-\x{D}\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]";

/// A regex as Java reads it the way Rust's regex crate reads `pattern`: a `$` that
/// ends the pattern matches at the very end only (Java's also matches before a final
/// line terminator), as `\z` does in both; a `^` that starts it is `\A`.
fn java_regex(pattern: &str) -> String {
    let mut out = pattern.to_string();
    let escaped_end = out.ends_with("\\$") && !out.ends_with("\\\\$");
    if out.ends_with('$') && !escaped_end {
        out.pop();
        out.push_str("\\z");
    }
    if let Some(rest) = out.strip_prefix('^') {
        out = format!("\\A{rest}");
    }
    out
}

/// The integers Polars reads from text: ASCII digits with an optional sign.
const INTEGER_TEXT: &str = r"\A[+-]?[0-9]+\z";

/// The floats Polars reads from text: a decimal number with an optional exponent,
/// or `inf`, `infinity` and `nan` in any case, each with an optional sign.
const FLOAT_TEXT: &str =
    r"\A[+-]?(([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|(?i:inf|infinity|nan))\z";

/// `text` as a regex matching it literally, in Java's and Rust's syntax alike (each
/// metacharacter escaped).
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A strftime format (Polars, chrono) as a Java datetime pattern (Spark's
/// `date_format`), for the specifiers whose output is the same in both.
fn java_datetime_pattern(format: &str) -> Result<String> {
    let mut out = String::new();
    let mut chars = format.chars();
    let mut literal = String::new();
    let flush = |literal: &mut String, out: &mut String| {
        if !literal.is_empty() {
            out.push('\'');
            out.push_str(&literal.replace('\'', "''"));
            out.push('\'');
            literal.clear();
        }
    };
    while let Some(c) = chars.next() {
        if c != '%' {
            literal.push(c);
            continue;
        }
        let spec = chars.next().ok_or_else(|| anyhow!("a lone % at the end"))?;
        let java = match spec {
            'Y' => "yyyy",
            'y' => "yy",
            'm' => "MM",
            'd' => "dd",
            'H' => "HH",
            'M' => "mm",
            'S' => "ss",
            'j' => "DDD",
            'a' => "EEE",
            'A' => "EEEE",
            'b' => "MMM",
            'B' => "MMMM",
            '%' => {
                literal.push('%');
                continue;
            }
            other => bail!("%{other} has no Spark equivalent here"),
        };
        flush(&mut literal, &mut out);
        out.push_str(java);
    }
    flush(&mut literal, &mut out);
    Ok(out)
}

/// A strftime format as the Java pattern that parses what chrono (Polars' parser)
/// parses: a month, day, hour, minute or second followed by other text takes one or
/// two digits in chrono, and one letter (`M`, not `MM`) in Java; between two numbers
/// (`%Y%m%d`) both take two. (chrono alone reads `2015011` as `%Y%m%d`, taking the
/// day's one digit; a date column without separators is first checked to be exactly
/// its digits, `schema::digits_only_width`, on both engines.)
fn java_parse_pattern(format: &str) -> Result<String> {
    let mut out = String::new();
    // Text between specifiers (with `%%`), converted whole so that it is quoted once.
    let mut literal = String::new();
    let mut rest = format;
    let mut after_number = false;
    while let Some(at) = rest.find('%') {
        literal.push_str(&rest[..at]);
        let spec = rest[at..]
            .get(..2)
            .ok_or_else(|| anyhow!("a lone % at the end"))?;
        rest = &rest[at + spec.len()..];
        if spec == "%%" {
            literal.push_str(spec);
            after_number = false;
            continue;
        }
        let between_numbers = (rest.starts_with('%') && !rest.starts_with("%%"))
            || (after_number && literal.is_empty());
        out.push_str(&java_datetime_pattern(&std::mem::take(&mut literal))?);
        out.push_str(&match (spec, between_numbers) {
            ("%m", false) => "M".to_string(),
            ("%d", false) => "d".to_string(),
            ("%H", false) => "H".to_string(),
            ("%M", false) => "m".to_string(),
            ("%S", false) => "s".to_string(),
            _ => java_datetime_pattern(spec)?,
        });
        after_number = true;
    }
    literal.push_str(rest);
    out.push_str(&java_datetime_pattern(&literal)?);
    Ok(out)
}

/// The variant's name at the start of a debug or display text (`Explode { … }` →
/// `Explode`), for error messages.
fn kind(text: String) -> String {
    text.split([' ', '(', '{'])
        .next()
        .unwrap_or("?")
        .to_string()
}

/// A finite float as a Spark DOUBLE literal (`1.5D`); NaN and infinities as casts.
fn float_literal(v: f64) -> Result<String> {
    Ok(if v.is_nan() {
        "CAST('NaN' AS DOUBLE)".to_string()
    } else if v.is_infinite() {
        format!(
            "CAST('{}Infinity' AS DOUBLE)",
            if v < 0.0 { "-" } else { "" }
        )
    } else {
        format!("{v:?}D")
    })
}

/// `LIMIT … OFFSET …` of a slice from `offset` (a negative offset counts from the
/// end, which needs the row count first: not translated).
fn limit(offset: i64, len: u64) -> Result<String> {
    if offset < 0 {
        bail!("a slice from the end (tail) has no Spark SQL translation yet");
    }
    Ok(match offset {
        0 => format!(" LIMIT {len}"),
        _ => format!(" LIMIT {len} OFFSET {offset}"),
    })
}

fn list_names(schema: &Schema) -> Vec<String> {
    schema.iter_names().map(|n| n.to_string()).collect()
}

/// The order `order` once the relation holds only the columns `names`: kept when
/// every key is still there, unknown otherwise.
fn keep_order(order: Option<Vec<OrderKey>>, names: &[String]) -> Option<Vec<OrderKey>> {
    order.filter(|keys| {
        keys.iter()
            .all(|k| names.iter().any(|n| ident(n) == k.column))
    })
}

/// Part `k` (`transforms::exact::SUM_LIMBS`) of `value` in Spark SQL, by the same
/// exact steps on DOUBLE: the magnitude's whole part (`floor` is a BIGINT) as its
/// high and low 32 bits, then its fraction scaled by 2³² and floored, four times,
/// each part with the value's sign.
fn sum_limb(value: &str, k: usize) -> String {
    let sign = format!("(CASE WHEN CAST({value} AS DOUBLE) < 0 THEN -1L ELSE 1L END)");
    let magnitude = format!("abs(CAST({value} AS DOUBLE))");
    let part = match k {
        0 => format!("(floor({magnitude}) div 4294967296L)"),
        1 => format!("pmod(floor({magnitude}), 4294967296L)"),
        _ => {
            let mut rest = format!("({magnitude} - CAST(floor({magnitude}) AS DOUBLE))");
            let mut scaled = String::new();
            for _ in 2..=k {
                scaled = format!("({rest} * 4294967296.0D)");
                rest = format!("({scaled} - CAST(floor({scaled}) AS DOUBLE))");
            }
            format!("floor({scaled})")
        }
    };
    format!("({sign} * {part})")
}

/// `transforms::exact::order_independent_sum`'s total in Spark SQL, rounded as its
/// kernel rounds it: `parts` are the sums of the six parts of each value (the whole
/// part's high and low 32 bits, the fraction's 2⁻³², 2⁻⁶⁴, 2⁻⁹⁶ and 2⁻¹²⁸ steps).
/// The exact total is `high + low / 2⁶⁴` in 2⁻⁶⁴ units: the last two parts carried
/// into `low` in [0, 2⁶⁴) (floor division and `pmod` on BIGINT, as `checked_sum`'s
/// translation) and the rest into `high`, both exact DECIMAL(38, 0) integers. It is
/// rounded to DOUBLE once: exactly when `low` is 0; as `high · 2⁶⁴ + low` (below
/// 2¹¹⁸) when `high` is below 2⁵⁴; otherwise as `high + ½` (the total lies strictly
/// between `high` and `high + 1`, and rounds as their midpoint does when `high` has
/// 55 bits or more). Each scaling by a power of two is exact.
fn order_independent_sum(parts: &[String; 6]) -> String {
    let decimal = |part: &str| format!("CAST({part} AS DECIMAL(38, 0))");
    // The floor of x / 2³² and x mod 2³² in [0, 2³²): `div` truncates toward zero,
    // and the parts of negative values are negative.
    let carry = |x: &str| format!("((({x}) - pmod({x}, 4294967296L)) div 4294967296L)");
    let third = format!("(({}) + {})", parts[4], carry(&parts[5]));
    let low = format!(
        "({} * CAST(4294967296 AS DECIMAL(38, 0)) + {})",
        decimal(&format!("pmod({third}, 4294967296L)")),
        decimal(&format!("pmod({}, 4294967296L)", parts[5]))
    );
    let two_32 = "CAST(4294967296 AS DECIMAL(38, 0))";
    let two_64 = "CAST(18446744073709551616 AS DECIMAL(38, 0))";
    let high = format!(
        "(({} * {two_32} + {}) * {two_64} + {} * {two_32} + {} + {})",
        decimal(&parts[0]),
        decimal(&parts[1]),
        decimal(&parts[2]),
        decimal(&parts[3]),
        decimal(&carry(&third))
    );
    format!(
        "(CASE WHEN {low} = 0 THEN CAST({high} AS DOUBLE) / 18446744073709551616.0D \
         WHEN abs({high}) < CAST(18014398509481984 AS DECIMAL(38, 0)) THEN \
         CAST({high} * {two_64} + {low} AS DOUBLE) / \
         340282366920938463463374607431768211456.0D \
         ELSE CAST({high} * CAST(2 AS DECIMAL(38, 0)) + CAST(1 AS DECIMAL(38, 0)) AS DOUBLE) \
         / 36893488147419103232.0D END)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{
        col, concat_lf_horizontal, len, lit, Field, IntoLazy, JoinArgs, NamedFrom,
        SortMultipleOptions,
    };

    fn schema_of(columns: &[(&str, DataType)]) -> Schema {
        Schema::from_iter(
            columns
                .iter()
                .map(|(name, dtype)| Field::new((*name).into(), dtype.clone())),
        )
    }

    fn viewing(tables: &mut SparkTables) -> LazyFrame {
        tables.table(
            "viewing",
            schema_of(&[
                ("region", DataType::String),
                ("user_id", DataType::String),
                ("minutes", DataType::Float64),
                ("n", DataType::Int64),
            ]),
        )
    }

    /// Filter, group, aggregate, sort: Polars' sum and n_unique rules, Polars' null
    /// order made explicit, the order applied once at the end.
    #[test]
    fn a_grouped_rule_becomes_one_query_with_polars_semantics() -> Result<()> {
        let mut tables = SparkTables::new();
        let rule = viewing(&mut tables)
            .filter(col("minutes").gt(lit(1.0)))
            .group_by([col("region")])
            .agg([
                col("minutes").sum().alias("total"),
                col("user_id").n_unique().alias("users"),
            ])
            .sort(
                ["total"],
                SortMultipleOptions::default().with_order_descending(true),
            );
        assert_eq!(
            tables.to_sql("rule A", rule)?,
            "SELECT * FROM (SELECT `region` AS `region`, coalesce(sum(`minutes`), 0) AS `total`, \
             (count(DISTINCT `user_id`) + coalesce(max(CASE WHEN `user_id` IS NULL THEN 1 ELSE 0 \
             END), 0)) AS `users` FROM (SELECT * FROM (SELECT `region`, `user_id`, `minutes`, `n` \
             FROM `viewing`) AS t1 WHERE (`minutes` > 1.0D)) AS t2 GROUP BY `region`) AS result \
             ORDER BY `total` DESC NULLS FIRST"
        );
        Ok(())
    }

    /// A left join (the right's clashing column suffixed), Polars' floored `%` and
    /// integer `/`, and a head after a sort with nulls last.
    #[test]
    fn joins_arithmetic_and_a_sorted_head() -> Result<()> {
        let mut tables = SparkTables::new();
        let users = tables.table(
            "users",
            schema_of(&[("user_id", DataType::String), ("region", DataType::String)]),
        );
        let rule = viewing(&mut tables)
            .join(
                users,
                [col("user_id")],
                [col("user_id")],
                JoinArgs::new(JoinType::Left),
            )
            .with_columns([
                (col("n") % lit(3)).alias("bucket"),
                (col("n") / lit(2)).alias("half"),
            ])
            .sort(
                ["minutes"],
                SortMultipleOptions::default().with_nulls_last(true),
            )
            .limit(5);
        assert_eq!(
            tables.to_sql("rule B", rule)?,
            "SELECT * FROM (SELECT * FROM (SELECT `region`, `user_id`, `minutes`, `n`, \
             `region_right`, pmod(`n`, 3L) AS `bucket`, (`n` div 2L) AS `half` FROM (SELECT t1.`region`, \
             t1.`user_id`, t1.`minutes`, t1.`n`, t2.`region` AS `region_right` FROM (SELECT \
             `region`, `user_id`, `minutes`, `n` FROM `viewing`) AS t1 LEFT OUTER JOIN (SELECT \
             `user_id`, `region` FROM `users`) AS t2 ON t1.`user_id` = t2.`user_id`) AS t3) AS t5 \
             ORDER BY `minutes` ASC NULLS LAST LIMIT 5) AS result ORDER BY `minutes` ASC NULLS LAST"
        );
        Ok(())
    }

    /// A rule of the stream domain (S6 daily_ad_revenue): its spec's sort, nulls last,
    /// applied once at the end.
    #[test]
    fn the_daily_ad_revenue_rule_as_spark_sql() -> Result<()> {
        let mut tables = SparkTables::new();
        let ad_revenue = tables.table(
            "ad_revenue",
            schema_of(&[
                ("channel_id", DataType::String),
                ("channel_name", DataType::String),
                ("date", DataType::Date),
                ("ad_revenue", DataType::Float64),
            ]),
        );
        let rule = crate::domains::stream::rules::daily_ad_revenue(ad_revenue);
        assert_eq!(
            tables.to_sql("daily_ad_revenue", rule)?,
            "SELECT * FROM (SELECT `date` AS `date`, `channel_id` AS `channel_id`, `ad_revenue` \
             AS `ad_revenue` FROM (SELECT `channel_id`, `channel_name`, `date`, `ad_revenue` FROM \
             `ad_revenue`) AS t1) AS result ORDER BY `date` ASC NULLS LAST, `channel_id` ASC \
             NULLS LAST"
        );
        Ok(())
    }

    /// `&`, `|`, `^` by the operands' type; `//` of floats stays a float; a
    /// broadcast aggregate in a filter is computed before the rows are filtered.
    #[test]
    fn operators_follow_their_operands_and_windows_leave_where() -> Result<()> {
        let mut tables = SparkTables::new();
        let rule = viewing(&mut tables)
            .with_columns([
                (col("minutes").gt(lit(1.0)).and(col("n").gt(lit(0)))).alias("both"),
                (col("n").and(lit(6i64))).alias("bits"),
                (col("n").xor(lit(1i64))).alias("flip"),
                (col("minutes").floor_div(lit(2.0))).alias("halves"),
            ])
            .filter(col("minutes").gt(col("minutes").mean()));
        let sql = tables.to_sql("operators", rule)?;
        for piece in [
            "((`minutes` > 1.0D) AND (`n` > 0L)) AS `both`",
            "(`n` & 6L) AS `bits`",
            "(`n` ^ 1L) AS `flip`",
            "CAST(floor(`minutes` / 2.0D) AS DOUBLE) AS `halves`",
            "(`minutes` > avg(`minutes`) OVER ()) AS `__keep`",
            "WHERE `__keep`",
        ] {
            assert!(sql.contains(piece), "{piece} in {sql}");
        }
        Ok(())
    }

    /// A small frame written in a rule travels as VALUES; a list literal for is_in.
    #[test]
    fn literal_frames_and_lists_travel_as_values() -> Result<()> {
        let tables = SparkTables::new();
        let devices = polars::prelude::df!("device" => ["Mobile", "It's"])?.lazy();
        let rule = devices.filter(col("device").is_in(
            lit(polars::prelude::Series::new("d".into(), ["Mobile", "TV"])).implode(false),
            false,
        ));
        let sql = tables.to_sql("values", rule)?;
        assert_eq!(
            sql,
            "SELECT * FROM (SELECT `device` FROM VALUES ('Mobile'), ('It\\'s') AS t1(`device`)) \
             AS t2 WHERE (`device` IN ('Mobile', 'TV'))"
        );
        Ok(())
    }

    /// Whole-row uniqueness is DISTINCT (equal rows are the same whichever is kept).
    #[test]
    fn unique_rows_are_distinct() -> Result<()> {
        let mut tables = SparkTables::new();
        let rule = viewing(&mut tables)
            .select([col("region"), col("user_id")])
            .unique(None, polars::prelude::UniqueKeepStrategy::Any);
        let sql = tables.to_sql("unique", rule)?;
        assert!(
            sql.starts_with("SELECT DISTINCT * FROM (SELECT `region` AS `region`"),
            "{sql}"
        );
        Ok(())
    }

    /// What has no translation is an error naming it and the rule, never a guess.
    #[test]
    fn order_dependent_and_unknown_steps_are_refused_by_name() {
        let mut tables = SparkTables::new();
        let head = viewing(&mut tables).limit(3);
        let first = viewing(&mut tables)
            .group_by([col("region")])
            .agg([col("n").first()]);
        let memory = polars::prelude::df!("a" => (0..1_001).collect::<Vec<i32>>())
            .map(polars::prelude::IntoLazy::lazy)
            .unwrap_or_default();
        for (rule, lf, expected) in [
            (
                "head",
                head,
                "a slice (head, tail, limit) of rows in no known order",
            ),
            (
                "first",
                first,
                "an order-dependent aggregation (first, string join) of rows in no known order",
            ),
            ("memory", memory, "an in-memory frame of 1001 rows"),
        ] {
            let error = tables.to_sql(rule, lf).err().map(|e| e.to_string());
            assert!(
                error
                    .as_deref()
                    .is_some_and(|e| e.starts_with(&format!("{rule}: {expected}"))),
                "{error:?}"
            );
        }
    }

    /// A list split on a literal (escaped as a regex), exploded outer, trimmed of
    /// Unicode whitespace, as `explode_trimmed` does.
    #[test]
    fn split_explode_and_trim_keep_polars_semantics() -> Result<()> {
        let mut tables = SparkTables::new();
        let programs = tables.table(
            "programs",
            schema_of(&[("prog_code", DataType::String), ("genre", DataType::String)]),
        );
        let rule = crate::transforms::explode_trimmed(programs, "genre", "|");
        assert_eq!(
            tables.to_sql("genres", rule)?,
            "SELECT * FROM (SELECT * FROM (SELECT `prog_code`, regexp_replace(`genre`, \
             '\\\\A[\\\\x{9}-\\\\x{D}\\\\x{20}\\\\x{85}\\\\x{A0}\\\\x{1680}\\\\x{2000}-\\\\x{200A}\\\\x{2028}\\\\x{2029}\\\\x{202F}\\\\x{205F}\\\\x{3000}]+|\
             [\\\\x{9}-\\\\x{D}\\\\x{20}\\\\x{85}\\\\x{A0}\\\\x{1680}\\\\x{2000}-\\\\x{200A}\\\\x{2028}\\\\x{2029}\\\\x{202F}\\\\x{205F}\\\\x{3000}]+\\\\z', '') \
             AS `genre` FROM (SELECT `prog_code`, explode_outer(`genre`) AS `genre` FROM \
             (SELECT `prog_code`, split(`genre`, '\\\\|', -1) AS `genre` FROM (SELECT \
             `prog_code`, `genre` FROM `programs`) AS t1) AS t2) AS t3) AS t4 WHERE \
             (`genre` IS NOT NULL)) AS t5 WHERE (`genre` <> '')"
        );
        Ok(())
    }

    /// The most frequent value (ties: smallest) is the first of an array sorted on
    /// negated counts, then the value; drop_nulls + n_unique is COUNT(DISTINCT).
    #[test]
    fn ordered_first_and_distinct_counts_in_a_group() -> Result<()> {
        let mut tables = SparkTables::new();
        let programs = tables.table(
            "programs",
            schema_of(&[("prog_code", DataType::String), ("title", DataType::String)]),
        );
        let sql = tables.to_sql(
            "clashes",
            crate::transforms::clash_report(programs, "prog_code", "title"),
        )?;
        for part in [
            "array_sort(collect_list(named_struct('k0', (- CAST(`__rows` AS BIGINT)), 'k1', \
             `title`, 'v', `title`)))[0].v AS `title`",
            "CAST(count(DISTINCT `title`) AS BIGINT) AS `variants`",
            "'title' AS `field`",
        ] {
            assert!(sql.contains(part), "{part} not in {sql}");
        }
        Ok(())
    }

    /// A sub-plan read twice is one CTE; one-row aggregates side by side are a cross
    /// join; a row index follows the known order; n_unique over a window is the size
    /// of a set (SQL has no DISTINCT in a window).
    #[test]
    fn caches_one_row_concatenations_row_indexes_and_window_distincts() -> Result<()> {
        let mut tables = SparkTables::new();
        let shared = viewing(&mut tables).filter(col("n").gt(lit(0))).cache();
        let counts = concat_lf_horizontal(
            [
                shared.clone().select([len().alias("all")]),
                shared
                    .clone()
                    .filter(col("minutes").gt(lit(1.0)))
                    .select([len().alias("long")]),
            ],
            Default::default(),
        )?;
        let sql = tables.to_sql("counts", counts)?;
        assert!(
            sql.starts_with(
                "WITH `__cache1` AS (SELECT * FROM (SELECT `region`, `user_id`, `minutes`, `n` \
                 FROM `viewing`) AS t1 WHERE (`n` > 0L)) SELECT t"
            ),
            "{sql}"
        );
        assert_eq!(sql.matches("FROM `__cache1`").count(), 2, "{sql}");
        assert!(sql.contains(" CROSS JOIN "), "{sql}");

        let indexed = viewing(&mut tables)
            .sort(["n"], Default::default())
            .with_row_index("position", None)
            .with_column(
                col("user_id")
                    .n_unique()
                    .over([col("region")])?
                    .alias("users"),
            );
        let sql = tables.to_sql("indexed", indexed)?;
        for part in [
            "CAST(row_number() OVER (ORDER BY `n` ASC NULLS FIRST) - 1 + 0 AS BIGINT) AS \
             `position`",
            "(size(collect_set(`user_id`) OVER (PARTITION BY `region`)) + coalesce(max(CASE \
             WHEN `user_id` IS NULL THEN 1 ELSE 0 END) OVER (PARTITION BY `region`), 0)) AS \
             `users`",
        ] {
            assert!(sql.contains(part), "{part} not in {sql}");
        }
        Ok(())
    }

    #[test]
    fn strftime_formats_and_literal_separators_carry_over() -> Result<()> {
        assert_eq!(
            java_datetime_pattern("%Y-%m-%d %a, 100%%")?,
            "yyyy'-'MM'-'dd' 'EEE', 100%'"
        );
        assert!(java_datetime_pattern("%q").is_err());
        assert_eq!(java_datetime_pattern("it's %H")?, "'it''s 'HH");
        assert_eq!(java_parse_pattern("%Y%m%d")?, "yyyyMMdd");
        assert_eq!(
            java_parse_pattern("%m/%d/%Y %H:%M")?,
            "M'/'d'/'yyyy' 'H':'m"
        );
        assert_eq!(java_parse_pattern("%Y-%m-%d 100%%")?, "yyyy'-'M'-'d' 100%'");
        assert_eq!(regex_escape("a.b|c, d"), "a\\.b\\|c, d");
        Ok(())
    }

    /// A union keeps its parts in order: one-row parts by their number, a column
    /// the query sorts on and leaves out.
    #[test]
    fn a_union_of_one_row_parts_keeps_their_order() -> Result<()> {
        let mut tables = SparkTables::new();
        let count = |t: &mut SparkTables, name: &str| {
            viewing(t).select([lit(name).alias("what"), len().alias("rows")])
        };
        let parts = [count(&mut tables, "a"), count(&mut tables, "b")];
        let sql = tables.to_sql(
            "counts",
            polars::prelude::concat(parts, Default::default())?,
        )?;
        assert!(
            sql.starts_with("SELECT `what`, `rows` FROM ((SELECT *, 0 AS `__union_part`"),
            "{sql}"
        );
        assert!(
            sql.ends_with(") AS result ORDER BY `__union_part` ASC NULLS FIRST"),
            "{sql}"
        );
        Ok(())
    }
}
