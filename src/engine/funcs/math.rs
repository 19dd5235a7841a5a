//! Number helpers: the casts `int`/`int64`/`float64`/`atoi`, sprig's integer arithmetic
//! (`add`, `sub`, `mul`, `div`, `mod`, `max`, `min`, which convert every operand to int64 as
//! sprig does, so floats truncate), float arithmetic (`addf`, `subf`, `mulf`, `divf`,
//! `floor`, `ceil`) and the integer sequences `until`, `untilStep`, `seq`.

use minijinja::{Error, Value};

use super::Args;
use super::value::{self, cast_f64, cast_i64, list_items};

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
        return Err(a.err("runtime error: integer divide by zero"));
    }
    Ok(cast_i64(a.get(0)).wrapping_div(d).into())
}

pub fn modulo(a: &Args) -> Result<Value, Error> {
    let d = cast_i64(a.get(1));
    if d == 0 {
        return Err(a.err("runtime error: integer divide by zero"));
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

/// sprig's float arithmetic (`addf`, `subf`, `mulf`, `divf`, `add1f`): each operand
/// becomes the decimal number its shortest printed form names (`0.1` is exactly 0.1), the
/// operation is exact (division rounds to 16 decimal places, half away from zero), and
/// the result is the float nearest that decimal; so `addf 0.1 0.2` is `0.3`.
fn decimal_op(a: &Args, first: f64, rest: &[f64], op: DecOp) -> Result<Value, Error> {
    let mut acc = Decimal::from_f64(first);
    for &x in rest {
        let d = Decimal::from_f64(x);
        acc = match (acc, d) {
            (Some(p), Some(q)) => match op {
                DecOp::Add => p.add(q),
                DecOp::Sub => p.add(q.neg()),
                DecOp::Mul => p.mul(q),
                DecOp::Div => {
                    if q.mant == 0 {
                        return Err(a.err("decimal division by zero"));
                    }
                    p.div(q)
                }
            },
            _ => None,
        };
        if acc.is_none() {
            // Beyond i128 (or not finite): plain float arithmetic.
            let floats = std::iter::once(first).chain(rest.iter().copied());
            return Ok(match op {
                DecOp::Add => floats.sum::<f64>(),
                DecOp::Mul => floats.product::<f64>(),
                DecOp::Sub => floats.reduce(|x, y| x - y).unwrap_or(0.0),
                DecOp::Div => floats.reduce(|x, y| x / y).unwrap_or(0.0),
            }
            .into());
        }
    }
    Ok(acc.map(Decimal::to_f64).unwrap_or(first).into())
}

#[derive(Clone, Copy)]
enum DecOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// A decimal number `mant × 10^exp`.
#[derive(Clone, Copy, Debug)]
struct Decimal {
    mant: i128,
    exp: i32,
}

impl Decimal {
    /// The decimal a float's shortest round-trip form names.
    fn from_f64(f: f64) -> Option<Decimal> {
        if !f.is_finite() {
            return None;
        }
        let text = format!("{f:e}");
        let (digits, exp) = text.split_once('e')?;
        let exp: i32 = exp.parse().ok()?;
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let mant: i128 = format!("{int}{frac}").parse().ok()?;
        Some(Decimal {
            mant,
            exp: exp - frac.len() as i32,
        })
    }

    fn to_f64(self) -> f64 {
        format!("{}e{}", self.mant, self.exp)
            .parse()
            .unwrap_or(f64::NAN)
    }

    fn neg(self) -> Decimal {
        Decimal {
            mant: -self.mant,
            exp: self.exp,
        }
    }

    /// `self.mant` scaled to exponent `exp` (which must not be above `self.exp`).
    fn scaled(self, exp: i32) -> Option<i128> {
        let shift = u32::try_from(self.exp - exp).ok()?;
        self.mant.checked_mul(10i128.checked_pow(shift)?)
    }

    fn add(self, o: Decimal) -> Option<Decimal> {
        let exp = self.exp.min(o.exp);
        Some(Decimal {
            mant: self.scaled(exp)?.checked_add(o.scaled(exp)?)?,
            exp,
        })
    }

    fn mul(self, o: Decimal) -> Option<Decimal> {
        Some(Decimal {
            mant: self.mant.checked_mul(o.mant)?,
            exp: self.exp + o.exp,
        })
    }

    /// The quotient rounded to 16 decimal places, half away from zero.
    fn div(self, o: Decimal) -> Option<Decimal> {
        const PLACES: i32 = 16;
        let shift = self.exp - o.exp + PLACES;
        let (mut num, mut den) = (self.mant, o.mant);
        if shift >= 0 {
            num = num.checked_mul(10i128.checked_pow(shift as u32)?)?;
        } else {
            den = den.checked_mul(10i128.checked_pow((-shift) as u32)?)?;
        }
        let (q, r) = (num / den, num % den);
        let round = r.checked_abs()?.checked_mul(2)? >= den.checked_abs()?;
        let q = if round {
            q + num.signum() * den.signum()
        } else {
            q
        };
        Some(Decimal {
            mant: q,
            exp: -PLACES,
        })
    }
}

fn floats(vals: &[Value]) -> Vec<f64> {
    vals.iter().map(cast_f64).collect()
}

pub fn addf(a: &Args) -> Result<Value, Error> {
    decimal_op(a, 0.0, &floats(&operands(a)), DecOp::Add)
}

pub fn add1f(a: &Args) -> Result<Value, Error> {
    decimal_op(a, cast_f64(a.get(0)), &[1.0], DecOp::Add)
}

pub fn subf(a: &Args) -> Result<Value, Error> {
    decimal_op(a, cast_f64(a.get(0)), &floats(&a.vals[1..]), DecOp::Sub)
}

pub fn mulf(a: &Args) -> Result<Value, Error> {
    let ops = floats(&operands(a));
    decimal_op(a, ops[0], &ops[1..], DecOp::Mul)
}

pub fn divf(a: &Args) -> Result<Value, Error> {
    decimal_op(a, cast_f64(a.get(0)), &floats(&a.vals[1..]), DecOp::Div)
}

/// sprig's `maxf`: the largest operand as a float.
pub fn maxf(a: &Args) -> Result<Value, Error> {
    Ok(a.vals
        .iter()
        .map(cast_f64)
        .fold(f64::NEG_INFINITY, f64::max)
        .into())
}

/// sprig's `minf`: the smallest operand as a float.
pub fn minf(a: &Args) -> Result<Value, Error> {
    Ok(a.vals
        .iter()
        .map(cast_f64)
        .fold(f64::INFINITY, f64::min)
        .into())
}

/// sprig's `toDecimal`: the operand's text read as an octal number (`"0777"` is 511); 0
/// when it does not parse.
pub fn to_decimal(a: &Args) -> Result<Value, Error> {
    let text = value::go_v(a.get(0));
    let (neg, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text.strip_prefix('+').unwrap_or(&text)),
    };
    Ok(match i64::from_str_radix(digits, 8) {
        Ok(n) if !digits.is_empty() && !digits.starts_with(['+', '-']) => {
            if neg {
                -n
            } else {
                n
            }
        }
        _ => 0,
    }
    .into())
}

/// sprig's `randInt min max`: a random integer in [min, max).
pub fn rand_int(a: &Args) -> Result<Value, Error> {
    let (lo, hi) = (a.int(0)?, a.int(1)?);
    if hi <= lo {
        return Err(a.err("invalid argument to Intn"));
    }
    Ok(rand::random_range(lo..hi).into())
}

// --- Go-side variants ---------------------------------------------------------------------

/// `max` as sprig's Go code: operands only (a list is 0, not its items).
pub fn go_max(a: &Args) -> Result<Value, Error> {
    Ok(a.vals.iter().map(cast_i64).max().unwrap_or(0).into())
}

/// `min` as sprig's Go code.
pub fn go_min(a: &Args) -> Result<Value, Error> {
    Ok(a.vals.iter().map(cast_i64).min().unwrap_or(0).into())
}

/// A string cast reads the string as it is: Go does not trim spaces (`" 5"` is 0).
fn untrimmed(v: &Value) -> bool {
    v.as_str().is_none_or(|s| s.trim() == s)
}

pub fn go_int(a: &Args) -> Result<Value, Error> {
    let v = a.get(0);
    Ok(if untrimmed(v) { cast_i64(v) } else { 0 }.into())
}

pub fn go_float64(a: &Args) -> Result<Value, Error> {
    let v = a.get(0);
    Ok(if untrimmed(v) { cast_f64(v) } else { 0.0 }.into())
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
