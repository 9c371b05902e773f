using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// The shared logic of a mapped row: input columns pass through by index, the added columns come from the
/// <see cref="IColumnMapper"/>'s getters over the current input row.
/// </summary>
internal sealed class MappedColumns
{
    private readonly DataViewRow _input;
    private readonly int _inputCount;
    private readonly Delegate?[] _getters;

    public MappedColumns(IColumnMapper mapper, DataViewRow input, DataViewSchema outputSchema, Func<int, bool> isActive)
    {
        _input = input;
        _inputCount = input.Schema.Count;
        _getters = Enumerable.Range(_inputCount, outputSchema.Count - _inputCount).Any(isActive)
            ? mapper.CreateGetters(input, outputSchema, isActive)
            : new Delegate?[outputSchema.Count];
    }

    public bool IsActive(int index) => index < _inputCount ? _input.IsColumnActive(_input.Schema[index]) : _getters[index] is not null;

    public ValueGetter<T> GetGetter<T>(DataViewSchema.Column column)
    {
        if (column.Index < _inputCount)
        {
            return _input.GetGetter<T>(_input.Schema[column.Index]);
        }

        return _getters[column.Index] switch
        {
            ValueGetter<T> getter => getter,
            null => throw new InvalidOperationException($"Column '{column.Name}' is not active."),
            var other => throw new InvalidOperationException(
                $"Column '{column.Name}' holds {other.GetType().GetGenericArguments()[0].Name}, not {typeof(T).Name}."),
        };
    }

    /// <summary>The input columns needed to compute the active output columns.</summary>
    public static IEnumerable<DataViewSchema.Column> Dependencies(IColumnMapper mapper, DataViewSchema input, IEnumerable<DataViewSchema.Column> active)
    {
        var list = active.ToList();
        var needed = list.Where(c => c.Index < input.Count).Select(c => input[c.Index]).ToList();
        if (list.Any(c => c.Index >= input.Count))
        {
            needed.Add(input[mapper.InputColumnName]);
        }

        return needed.DistinctBy(c => c.Index);
    }
}
