using System.Buffers.Binary;
using System.Text;

namespace GenAudit.Core.TensorBoard;

/// <summary>
/// Writes a TensorBoard event file (<c>events.out.tfevents.*</c>) into a folder: scalars and PNG
/// images as <c>Event</c> protocol buffers (tensorflow/core/util/event.proto, summary.proto) in
/// TFRecord framing. Each event is flushed as it is written, so TensorBoard shows a run while it
/// trains; a record cut short by a crash is skipped by TensorBoard's reader.
/// </summary>
public sealed class TensorBoardWriter : IDisposable
{
    /// <summary>The version string of the first event of every file.</summary>
    public const string FileVersion = "brain.Event:2";

    static int _counter;
    readonly FileStream _stream;
    readonly Func<DateTimeOffset> _clock;

    /// <summary>Creates a new event file in <paramref name="folder"/> (created when missing) and writes its version event.</summary>
    /// <param name="folder">The run's folder; TensorBoard shows each folder under its --logdir as one run.</param>
    /// <param name="clock">The wall time of each event; the system clock by default.</param>
    public TensorBoardWriter(string folder, Func<DateTimeOffset>? clock = null)
    {
        _clock = clock ?? (() => DateTimeOffset.UtcNow);
        Directory.CreateDirectory(folder);
        var now = _clock();
        // TensorBoard reads the files of a folder in name order: the time first, then a counter
        // so that two writers started in the same second never share a name.
        var name = $"events.out.tfevents.{now.ToUnixTimeSeconds():D10}.{Environment.MachineName}.{Environment.ProcessId}.{Interlocked.Increment(ref _counter)}";
        Path = System.IO.Path.Combine(folder, name);
        _stream = new FileStream(Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        Write(0, Proto.String(3, FileVersion));
    }

    /// <summary>The event file.</summary>
    public string Path { get; }

    /// <summary>Adds one scalar (TensorBoard's Scalars tab); the value is stored as float32, as TensorBoard does.</summary>
    public void AddScalar(string tag, long step, double value) =>
        Write(step, Proto.Message(5, Proto.Message(1, [.. Proto.String(1, tag), .. Proto.Float(2, (float)value)])));

    /// <summary>Adds a PNG image (TensorBoard's Images tab); its size and colour type are read from the PNG header.</summary>
    public void AddPng(string tag, long step, byte[] png)
    {
        var (width, height, colorspace) = PngHeader(png);
        byte[] image = [.. Proto.Varint(1, height), .. Proto.Varint(2, width), .. Proto.Varint(3, colorspace), .. Proto.Bytes(4, png)];
        Write(step, Proto.Message(5, Proto.Message(1, [.. Proto.String(1, tag), .. Proto.Message(4, image)])));
    }

    /// <summary>
    /// Marks a restart at <paramref name="step"/> (SessionLog START): TensorBoard drops the events of
    /// earlier files at this step and later, which a resumed run writes again.
    /// </summary>
    public void AddRestart(long step) => Write(step, Proto.Message(7, Proto.Varint(1, 1)));

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();

    void Write(long step, byte[] what)
    {
        var wallTime = _clock().ToUnixTimeMilliseconds() / 1000.0;
        byte[] data = [.. Proto.Double(1, wallTime), .. (step != 0 ? Proto.Varint(2, step) : []), .. what];
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Masked(header[..8]));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32C.Masked(data));
        _stream.Write(header);
        _stream.Write(data);
        _stream.Write(footer);
        _stream.Flush();
    }

    /// <summary>Width, height and TensorBoard colorspace (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA) of a PNG.</summary>
    static (int Width, int Height, int Colorspace) PngHeader(byte[] png)
    {
        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (png.Length < 26 || !png.AsSpan(0, 8).SequenceEqual(signature) || Encoding.ASCII.GetString(png, 12, 4) != "IHDR")
            throw new ArgumentException("TensorBoard image: the bytes are not a PNG (no PNG signature and IHDR chunk)", nameof(png));
        var colorspace = png[25] switch { 0 => 1, 4 => 2, 2 or 3 => 3, 6 => 4, var t => throw new ArgumentException($"TensorBoard image: PNG colour type {t} is not defined", nameof(png)) };
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)), colorspace);
    }

    /// <summary>The protocol-buffer wire format for the few field types an event needs.</summary>
    static class Proto
    {
        public static byte[] Varint(int field, long value) => [.. Key(field, 0), .. RawVarint((ulong)value)];

        public static byte[] Double(int field, double value)
        {
            var bytes = new byte[8];
            BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
            return [.. Key(field, 1), .. bytes];
        }

        public static byte[] Float(int field, float value)
        {
            var bytes = new byte[4];
            BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
            return [.. Key(field, 5), .. bytes];
        }

        public static byte[] Bytes(int field, byte[] value) => [.. Key(field, 2), .. RawVarint((ulong)value.Length), .. value];

        public static byte[] String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public static byte[] Message(int field, byte[] body) => Bytes(field, body);

        static byte[] Key(int field, int wireType) => RawVarint((ulong)(field << 3 | wireType));

        static byte[] RawVarint(ulong value)
        {
            var bytes = new List<byte>(10);
            for (; value >= 0x80; value >>= 7) bytes.Add((byte)(value | 0x80));
            bytes.Add((byte)value);
            return [.. bytes];
        }
    }
}
