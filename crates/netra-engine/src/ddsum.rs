//! `dd_sum(x)`: a DataFusion aggregate that sums doubles in double-double
//! arithmetic (`netra_stats::partial::Sum2`), so the sum of a cell does not
//! depend on how DataFusion split the rows into batches and partitions or
//! in which order it merged them.
//!
//! Why not DataFusion's `sum`: plain `f64` addition is not associative, so
//! the same query on another partitioning (or Ballista's executors) would
//! change the last bits of every cell, and the analyses must equal the
//! in-memory path to 1e-12. The state travels as two `Float64` columns
//! (the pair's high and low parts) between the partial and final
//! aggregation phases; the result is the pair's high part, the double
//! nearest the exact sum (to 1 ulp). Nulls are skipped, as `sum` skips them;
//! a group with no value sums to 0.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::{Result, ScalarValue, internal_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, Expr, GroupsAccumulator, Signature,
    Volatility,
};
use netra_stats::partial::Sum2;

/// The `dd_sum` aggregate function (see the module documentation).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DdSum {
    signature: Signature,
}

impl Default for DdSum {
    fn default() -> Self {
        DdSum {
            signature: Signature::exact(vec![DataType::Float64], Volatility::Immutable),
        }
    }
}

/// The aggregate as a DataFusion function value.
pub fn dd_sum_udaf() -> AggregateUDF {
    AggregateUDF::from(DdSum::default())
}

/// `dd_sum(expr)` (the argument is cast to `Float64`).
pub fn dd_sum(expr: Expr) -> Expr {
    dd_sum_udaf().call(vec![datafusion::logical_expr::cast(
        expr,
        DataType::Float64,
    )])
}

impl AggregateUDFImpl for DdSum {
    fn name(&self) -> &str {
        "dd_sum"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn is_nullable(&self) -> bool {
        false
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(One(Sum2::ZERO)))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            Arc::new(Field::new(
                format!("{}[hi]", args.name),
                DataType::Float64,
                false,
            )),
            Arc::new(Field::new(
                format!("{}[lo]", args.name),
                DataType::Float64,
                false,
            )),
        ])
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        _args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(Groups::default()))
    }
}

fn f64s(a: &ArrayRef) -> Result<&Float64Array> {
    match a.data_type() {
        DataType::Float64 => Ok(a.as_primitive::<Float64Type>()),
        other => internal_err!("dd_sum: expected Float64, got {other}"),
    }
}

/// One group's sum (the accumulator DataFusion uses without grouping).
#[derive(Debug)]
struct One(Sum2);

impl Accumulator for One {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(v) = values.first() else {
            return internal_err!("dd_sum: no argument");
        };
        for x in f64s(v)?.iter().flatten() {
            self.0.add(x);
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(Some(self.0.value())))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let (hi, lo) = self.0.parts();
        Ok(vec![
            ScalarValue::Float64(Some(hi)),
            ScalarValue::Float64(Some(lo)),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [hi, lo] = states else {
            return internal_err!("dd_sum: expected two state columns");
        };
        let (hi, lo) = (f64s(hi)?, f64s(lo)?);
        for i in 0..hi.len() {
            if hi.is_valid(i) && lo.is_valid(i) {
                self.0.merge(&Sum2::from_parts(hi.value(i), lo.value(i)));
            }
        }
        Ok(())
    }
}

/// Sums of many groups, indexed by DataFusion's group index.
#[derive(Debug, Default)]
struct Groups {
    sums: Vec<Sum2>,
}

impl Groups {
    fn grow(&mut self, total: usize) {
        if self.sums.len() < total {
            self.sums.resize(total, Sum2::ZERO);
        }
    }
}

fn selected(filter: Option<&BooleanArray>, i: usize) -> bool {
    filter.is_none_or(|f| f.is_valid(i) && f.value(i))
}

impl GroupsAccumulator for Groups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        let Some(v) = values.first() else {
            return internal_err!("dd_sum: no argument");
        };
        let v = f64s(v)?;
        self.grow(total_num_groups);
        let nulls = v.null_count() > 0;
        for (i, &g) in group_indices.iter().enumerate() {
            if (nulls && v.is_null(i)) || !selected(opt_filter, i) {
                continue;
            }
            if let Some(s) = self.sums.get_mut(g) {
                s.add(v.value(i));
            }
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let sums = emit_to.take_needed(&mut self.sums);
        Ok(Arc::new(Float64Array::from_iter_values(
            sums.iter().map(Sum2::value),
        )))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let sums = emit_to.take_needed(&mut self.sums);
        let hi = Float64Array::from_iter_values(sums.iter().map(|s| s.parts().0));
        let lo = Float64Array::from_iter_values(sums.iter().map(|s| s.parts().1));
        Ok(vec![Arc::new(hi), Arc::new(lo)])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        let [hi, lo] = values else {
            return internal_err!("dd_sum: expected two state columns");
        };
        let (hi, lo) = (f64s(hi)?, f64s(lo)?);
        self.grow(total_num_groups);
        for (i, &g) in group_indices.iter().enumerate() {
            if hi.is_valid(i)
                && lo.is_valid(i)
                && let Some(s) = self.sums.get_mut(g)
            {
                s.merge(&Sum2::from_parts(hi.value(i), lo.value(i)));
            }
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let Some(v) = values.first() else {
            return internal_err!("dd_sum: no argument");
        };
        let v = f64s(v)?;
        let hi = Float64Array::from_iter_values((0..v.len()).map(|i| {
            if v.is_valid(i) && selected(opt_filter, i) {
                v.value(i)
            } else {
                0.0
            }
        }));
        let lo = Float64Array::from_iter_values(std::iter::repeat_n(0.0, v.len()));
        Ok(vec![Arc::new(hi), Arc::new(lo)])
    }

    fn size(&self) -> usize {
        self.sums.capacity() * std::mem::size_of::<Sum2>()
    }
}
