//! Number helpers: the casts `int`/`int64`/`float64`/`atoi`, sprig's integer arithmetic
//! (`add`, `sub`, `mul`, `div`, `mod`, `max`, `min`, which convert every operand to int64 as
//! sprig does, so floats truncate), float arithmetic (`addf`, `subf`, `mulf`, `divf`,
//! `floor`, `ceil`) and the integer sequences `until`, `untilStep`, `seq`.

use minijinja::{Error, Value};

use super::Args;
use super::value::{cast_f64, cast_i64, list_items};

pub fn int(a: &Args) -> Result<Value, Error> {
    Ok(cast_i64(a.get(0)).into())
}

pub fn float64(a: &Args) -> Result<Value, Error> {
    Ok(cast_f64(a.get(0)).into())
}

/// Go's `strconv.Atoi`: a plain base-10 integer, 0 when it does not parse.
pub fn atoi(a: &Args) -> Result<Value, Error> {
    Ok(a.str(0).parse::<i64>().unwrap_or(0).into())
}

/// The operands of a variadic helper; a single list argument supplies them instead
/// (`max(list(1, 5))`, `list(1, 5) | max`).
fn operands(a: &Args) -> Vec<Value> {
    if a.len() == 1
        && let Some(items) = list_items(a.get(0))
    {
        return items;
    }
    a.vals.to_vec()
}

pub fn add(a: &Args) -> Result<Value, Error> {
    Ok(operands(a)
        .iter()
        .fold(0i64, |acc, v| acc.wrapping_add(cast_i64(v)))
        .into())
}

pub fn add1(a: &Args) -> Result<Value, Error> {
    Ok(cast_i64(a.get(0)).wrapping_add(1).into())
}

pub fn sub(a: &Args) -> Result<Value, Error> {
    Ok(cast_i64(a.get(0)).wrapping_sub(cast_i64(a.get(1))).into())
}

pub fn mul(a: &Args) -> Result<Value, Error> {
    Ok(operands(a)
        .iter()
        .fold(1i64, |acc, v| acc.wrapping_mul(cast_i64(v)))
        .into())
}

pub fn div(a: &Args) -> Result<Value, Error> {
    let d = cast_i64(a.get(1));
    if d == 0 {
        return Err(a.err("integer divide by zero"));
    }
    Ok(cast_i64(a.get(0)).wrapping_div(d).into())
}

pub fn modulo(a: &Args) -> Result<Value, Error> {
    let d = cast_i64(a.get(1));
    if d == 0 {
        return Err(a.err("integer divide by zero"));
    }
    Ok(cast_i64(a.get(0)).wrapping_rem(d).into())
}

pub fn max(a: &Args) -> Result<Value, Error> {
    let ops = operands(a);
    match ops.iter().map(cast_i64).max() {
        Some(m) => Ok(m.into()),
        None => Err(a.err("no operands")),
    }
}

pub fn min(a: &Args) -> Result<Value, Error> {
    let ops = operands(a);
    match ops.iter().map(cast_i64).min() {
        Some(m) => Ok(m.into()),
        None => Err(a.err("no operands")),
    }
}

pub fn addf(a: &Args) -> Result<Value, Error> {
    Ok(operands(a).iter().map(cast_f64).sum::<f64>().into())
}

pub fn subf(a: &Args) -> Result<Value, Error> {
    Ok((cast_f64(a.get(0)) - cast_f64(a.get(1))).into())
}

pub fn mulf(a: &Args) -> Result<Value, Error> {
    Ok(operands(a).iter().map(cast_f64).product::<f64>().into())
}

pub fn divf(a: &Args) -> Result<Value, Error> {
    let d = cast_f64(a.get(1));
    if d == 0.0 {
        return Err(a.err("division by zero"));
    }
    Ok((cast_f64(a.get(0)) / d).into())
}

pub fn floor(a: &Args) -> Result<Value, Error> {
    Ok(cast_f64(a.get(0)).floor().into())
}

/// sprig's `round(x, places, roundOn=0.5)`: up when the part below the last kept digit is
/// at least `roundOn`, otherwise down.
pub fn round(a: &Args) -> Result<Value, Error> {
    let places = a.int(1)?;
    let round_on = if a.len() > 2 { cast_f64(a.get(2)) } else { 0.5 };
    let pow = 10f64.powi(places.clamp(-308, 308) as i32);
    let digit = pow * cast_f64(a.get(0));
    let rounded = if digit.fract() >= round_on {
        digit.ceil()
    } else {
        digit.floor()
    };
    Ok((rounded / pow).into())
}

pub fn ceil(a: &Args) -> Result<Value, Error> {
    Ok(cast_f64(a.get(0)).ceil().into())
}

/// sprig's `untilStep`: start, start+step... while before stop (going down when step < 0).
fn until_step_vec(start: i64, stop: i64, step: i64) -> Vec<i64> {
    let mut out = Vec::new();
    if stop < start {
        if step >= 0 {
            return out;
        }
        let mut i = start;
        while i > stop {
            out.push(i);
            i = i.saturating_add(step);
        }
        return out;
    }
    if step <= 0 {
        return out;
    }
    let mut i = start;
    while i < stop {
        out.push(i);
        i = i.saturating_add(step);
    }
    out
}

const MAX_SEQUENCE: usize = 10_000_000;

fn int_list(a: &Args, items: Vec<i64>) -> Result<Value, Error> {
    if items.len() > MAX_SEQUENCE {
        return Err(a.err("sequence too long"));
    }
    Ok(Value::from(
        items.into_iter().map(Value::from).collect::<Vec<_>>(),
    ))
}

fn guard(a: &Args, start: i64, stop: i64, step: i64) -> Result<(), Error> {
    if step != 0 && (stop.abs_diff(start) / step.unsigned_abs()) as usize > MAX_SEQUENCE {
        return Err(a.err("sequence too long"));
    }
    Ok(())
}

/// `until n`: 0..n (counting down for a negative n).
pub fn until(a: &Args) -> Result<Value, Error> {
    let n = a.int(0)?;
    let step = if n < 0 { -1 } else { 1 };
    guard(a, 0, n, step)?;
    int_list(a, until_step_vec(0, n, step))
}

pub fn until_step(a: &Args) -> Result<Value, Error> {
    let (start, stop, step) = (a.int(0)?, a.int(1)?, a.int(2)?);
    guard(a, start, stop, step)?;
    int_list(a, until_step_vec(start, stop, step))
}

/// Like the shell's `seq`: `seq 3` is "1 2 3", `seq 2 4` is "2 3 4", `seq 1 2 7` is
/// "1 3 5 7"; the result is a space-separated string, as in sprig.
pub fn seq(a: &Args) -> Result<Value, Error> {
    let p: Vec<i64> = (0..a.len()).map(|i| a.int(i)).collect::<Result<_, _>>()?;
    let items = match p.as_slice() {
        [end] => {
            let (start, end) = (1, *end);
            let inc = if end < start { -1 } else { 1 };
            guard(a, start, end, inc)?;
            until_step_vec(start, end.saturating_add(inc), inc)
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            guard(a, *start, *end, step)?;
            until_step_vec(*start, end.saturating_add(step), step)
        }
        [start, step, end] => {
            let mut inc = 1;
            if end < start {
                inc = -1;
                if *step > 0 {
                    return Ok("".into());
                }
            }
            guard(a, *start, *end, *step)?;
            until_step_vec(*start, end.saturating_add(inc), *step)
        }
        _ => Vec::new(),
    };
    Ok(items
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(" ")
        .into())
}
