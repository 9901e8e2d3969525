using System.Buffers.Binary;
using Tensorboard;

namespace GenAudit.Tests.Core;

/// <summary>
/// Reads TensorBoard event files for the tests, independently of GenAudit's writer: TFRecord
/// framing checked with a bit-by-bit CRC-32C, and each record decoded by the Event classes that
/// TorchSharp generates from TensorBoard's own .proto files (Google.Protobuf).
/// </summary>
static class EventFileReader
{
    /// <summary>Every event of one file, in order; a bad length or CRC fails naming the record.</summary>
    public static List<Event> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var events = new List<Event>();
        for (var offset = 0; offset < bytes.Length;)
        {
            Assert.True(bytes.Length - offset >= 16, $"{path}: record {events.Count} is cut short at byte {offset}");
            var length = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset)));
            Assert.Equal(MaskedCrc(bytes.AsSpan(offset, 8)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 8)));
            var data = bytes.AsSpan(offset + 12, length);
            Assert.Equal(MaskedCrc(data), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 12 + length)));
            events.Add(Event.Parser.ParseFrom(data.ToArray()));
            offset += 12 + length + 4;
        }
        return events;
    }

    /// <summary>CRC-32C one bit at a time (reflected polynomial 0x82F63B78), then TFRecord's mask.</summary>
    public static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        crc = ~crc;
        return unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8u);
    }
}
