using Microsoft.ML;

namespace MlNetDeep.Tests.ML;

/// <summary>What MlNetDeep writes on an MLContext's log (ML.NET's own components left out), gathered for assertions.</summary>
internal static class MlLog
{
    /// <summary>A list that receives every MlNetDeep message of <paramref name="ml"/> from now on.</summary>
    public static List<string> Messages(MLContext ml)
    {
        var messages = new List<string>();
        CollectInto(ml, messages);
        return messages;
    }

    /// <summary>Adds every MlNetDeep message of <paramref name="ml"/> to <paramref name="messages"/> (thread-safe: trainers log from a background reader).</summary>
    public static void CollectInto(MLContext ml, List<string> messages)
    {
        ml.Log += (_, e) =>
        {
            if (e.Source.Contains("MlNetDeep", StringComparison.Ordinal))
            {
                lock (messages)
                {
                    messages.Add(e.Message);
                }
            }
        };
    }
}
