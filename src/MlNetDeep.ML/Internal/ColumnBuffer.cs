using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// The values of one passed-through input column for every row of a <see cref="RowBlock"/>: a block cursor reads rows
/// ahead of its consumer, so the input cursor no longer sits on the row the consumer is at.
/// </summary>
internal abstract class ColumnBuffer
{
    /// <summary>
    /// True for the types whose values can be kept by copying: ML.NET's primitive types (numbers, Boolean, keys, text,
    /// row ids, dates and times) and vectors of them. Others (such as images) may own resources that their source
    /// frees at the next row; a cursor needing one scores row by row instead.
    /// </summary>
    public static bool CanBuffer(DataViewType type) => type is PrimitiveDataViewType or VectorDataViewType;

    /// <summary>A buffer of a block's values of <paramref name="column"/>, read from <paramref name="input"/>.</summary>
    public static ColumnBuffer Create(DataViewRow input, DataViewSchema.Column column, RowBlock block)
    {
        var type = column.Type is VectorDataViewType vector
            ? typeof(VectorBuffer<>).MakeGenericType(vector.ItemType.RawType)
            : typeof(ScalarBuffer<>).MakeGenericType(column.Type.RawType);
        return (ColumnBuffer)Activator.CreateInstance(type, input, column, block)!;
    }

    /// <summary>Copies the input's current value into <paramref name="slot"/>.</summary>
    public abstract void Store(int slot);

    /// <summary>The getter of the column for the consumer: the value of the block's current row.</summary>
    public abstract Delegate Getter { get; }

    /// <summary>Values copied as they are (a string's text is immutable, so ReadOnlyMemory&lt;char&gt; is too).</summary>
    private sealed class ScalarBuffer<T> : ColumnBuffer
    {
        private readonly ValueGetter<T> _source;
        private readonly T[] _values;

        public ScalarBuffer(DataViewRow input, DataViewSchema.Column column, RowBlock block)
        {
            _source = input.GetGetter<T>(column);
            _values = new T[block.Slots];
            Getter = (ValueGetter<T>)((ref T value) =>
            {
                block.ThrowIfCurrentFailed(addedColumn: false);
                value = _values[block.Slot];
            });
        }

        public override Delegate Getter { get; }

        public override void Store(int slot) => _source(ref _values[slot]);
    }

    /// <summary>
    /// Vectors copied into buffers of the block's own: a source may hand out arrays it reuses, and the consumer may
    /// reuse the arrays it is given.
    /// </summary>
    private sealed class VectorBuffer<T> : ColumnBuffer
    {
        private readonly ValueGetter<VBuffer<T>> _source;
        private readonly VBuffer<T>[] _values;
        private VBuffer<T> _read;

        public VectorBuffer(DataViewRow input, DataViewSchema.Column column, RowBlock block)
        {
            _source = input.GetGetter<VBuffer<T>>(column);
            _values = new VBuffer<T>[block.Slots];
            Getter = (ValueGetter<VBuffer<T>>)((ref VBuffer<T> value) =>
            {
                block.ThrowIfCurrentFailed(addedColumn: false);
                _values[block.Slot].CopyTo(ref value);
            });
        }

        public override Delegate Getter { get; }

        public override void Store(int slot)
        {
            _source(ref _read);
            _read.CopyTo(ref _values[slot]);
        }
    }
}
