namespace MlNetDeep.Tensors;

/// <summary>
/// A per-thread limit on the values that tensors may allocate while it is in force. Loading a network from a file
/// builds it from a description that someone else wrote: the layers allocate what the description asks for before the
/// weights can be compared with it, so a few hundred bytes could ask for gigabytes. The loader puts the network's build
/// under a budget derived from the values the file actually holds, and <see cref="Tensor"/>'s allocating constructor
/// charges it, so an oversized description fails before its memory is taken.
/// </summary>
internal static class AllocationBudget
{
    [ThreadStatic]
    private static Scope? _current;

    /// <summary>Limits the values allocated by new tensors on this thread to <paramref name="values"/> until the scope is disposed.</summary>
    /// <param name="values">How many float values may be allocated in all.</param>
    /// <param name="describe">Says what was exceeded, given the values asked for in all; becomes the exception's message.</param>
    public static Scope Limit(long values, Func<long, string> describe)
    {
        var scope = new Scope(values, describe, _current);
        _current = scope;
        return scope;
    }

    /// <summary>Charges <paramref name="values"/> to the budget in force, if any.</summary>
    /// <exception cref="InvalidDataException">The budget is exceeded; nothing was allocated.</exception>
    public static void Charge(long values)
    {
        if (_current is { } scope)
        {
            scope.Charge(values);
        }
    }

    /// <summary>A budget in force; disposing it restores the previous one.</summary>
    public sealed class Scope : IDisposable
    {
        private readonly long _limit;
        private readonly Func<long, string> _describe;
        private readonly Scope? _previous;
        private long _used;

        internal Scope(long limit, Func<long, string> describe, Scope? previous)
        {
            _limit = limit;
            _describe = describe;
            _previous = previous;
        }

        /// <summary>The values charged so far.</summary>
        public long Used => _used;

        internal void Charge(long values)
        {
            _used += values;
            if (_used > _limit)
            {
                throw new InvalidDataException(_describe(_used));
            }
        }

        /// <inheritdoc />
        public void Dispose() => _current = _previous;
    }
}
