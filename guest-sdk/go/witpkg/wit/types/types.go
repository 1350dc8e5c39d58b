// Package types holds the generic WIT types the generated bindings use:
// option, result, tuples and the unit type.
package types

// Unit is the empty value (`result<_, E>`'s ok side).
type Unit struct{}

// Tuple2 is a WIT `tuple<A, B>`.
type Tuple2[A, B any] struct {
	F0 A
	F1 B
}

// OptionTag says which case an Option is.
type OptionTag uint8

// The cases of an Option.
const (
	OptionNone OptionTag = 0
	OptionSome OptionTag = 1
)

// Option is a WIT `option<T>`.
type Option[T any] struct {
	tag   OptionTag
	value T
}

// None is the empty Option.
func None[T any]() Option[T] { return Option[T]{tag: OptionNone} }

// Some is an Option holding v.
func Some[T any](v T) Option[T] { return Option[T]{tag: OptionSome, value: v} }

// Tag is OptionNone or OptionSome.
func (o Option[T]) Tag() OptionTag { return o.tag }

// IsSome says whether the Option holds a value.
func (o Option[T]) IsSome() bool { return o.tag == OptionSome }

// Some is the value; it panics on None.
func (o Option[T]) Some() T {
	if o.tag != OptionSome {
		panic("Option.Some on None")
	}
	return o.value
}

// SomeOr is the value, or fallback on None.
func (o Option[T]) SomeOr(fallback T) T {
	if o.tag != OptionSome {
		return fallback
	}
	return o.value
}

// ResultTag says which case a Result is.
type ResultTag uint8

// The cases of a Result.
const (
	ResultOk  ResultTag = 0
	ResultErr ResultTag = 1
)

// Result is a WIT `result<T, E>`.
type Result[T, E any] struct {
	tag ResultTag
	ok  T
	err E
}

// Ok is a successful Result.
func Ok[T, E any](v T) Result[T, E] { return Result[T, E]{tag: ResultOk, ok: v} }

// Err is a failed Result.
func Err[T, E any](e E) Result[T, E] { return Result[T, E]{tag: ResultErr, err: e} }

// Tag is ResultOk or ResultErr.
func (r Result[T, E]) Tag() ResultTag { return r.tag }

// IsErr says whether the Result failed.
func (r Result[T, E]) IsErr() bool { return r.tag == ResultErr }

// Ok is the value; it panics on Err.
func (r Result[T, E]) Ok() T {
	if r.tag != ResultOk {
		panic("Result.Ok on Err")
	}
	return r.ok
}

// Err is the error; it panics on Ok.
func (r Result[T, E]) Err() E {
	if r.tag != ResultErr {
		panic("Result.Err on Ok")
	}
	return r.err
}
