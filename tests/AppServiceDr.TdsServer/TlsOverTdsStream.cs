using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace AppServiceDr.TdsServer
{
    /// <summary>
    /// The transport under the server's SslStream in TDS 7.x. While the handshake runs, TLS records travel as the
    /// payload of PRELOGIN packets (type 0x12) in both directions; once <see cref="EndHandshake"/> is called they
    /// travel bare on the connection. Bare reads never go past the end of the TLS record being read, so after
    /// a login-only exchange the connection can go back to plain TDS without losing a byte.
    /// </summary>
    internal sealed class TlsOverTdsStream : Stream
    {
        private const int TlsRecordHeaderLength = 5;
        /// <summary>Handshake packets are at most the size every client accepts before a packet size is negotiated.</summary>
        private const int HandshakePacketSize = 4096;

        private readonly Stream _inner;
        private readonly byte[] _recordHeader = new byte[TlsRecordHeaderLength];
        private bool _wrapped = true;
        private int _packetRemaining;
        private int _recordRemaining;
        private int _recordHeaderServed = TlsRecordHeaderLength;
        private byte _packetId = 1;

        public TlsOverTdsStream(Stream inner)
        {
            _inner = inner;
        }

        /// <summary>From now on TLS records are read and written without a TDS packet around them.</summary>
        public void EndHandshake()
        {
            if (_packetRemaining != 0) throw new IOException("The TLS handshake ended in the middle of a PRELOGIN packet.");
            _wrapped = false;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Flush() => _inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.Length == 0) return 0;
            if (_wrapped)
            {
                if (_packetRemaining == 0 && !await NextHandshakePacketAsync(cancellationToken).ConfigureAwait(false)) return 0;
                var read = await _inner.ReadAsync(buffer.Slice(0, Math.Min(buffer.Length, _packetRemaining)), cancellationToken).ConfigureAwait(false);
                _packetRemaining -= read;
                return read;
            }
            if (_recordRemaining == 0)
            {
                if (!await ReadFullyOrEndAsync(_recordHeader, cancellationToken).ConfigureAwait(false)) return 0;
                _recordRemaining = TlsRecordHeaderLength + ((_recordHeader[3] << 8) | _recordHeader[4]);
                _recordHeaderServed = 0;
            }
            int served;
            if (_recordHeaderServed < TlsRecordHeaderLength)
            {
                served = Math.Min(buffer.Length, TlsRecordHeaderLength - _recordHeaderServed);
                _recordHeader.AsMemory(_recordHeaderServed, served).CopyTo(buffer);
                _recordHeaderServed += served;
            }
            else
            {
                served = await _inner.ReadAsync(buffer.Slice(0, Math.Min(buffer.Length, _recordRemaining)), cancellationToken).ConfigureAwait(false);
                if (served == 0) throw new EndOfStreamException("The connection closed in the middle of a TLS record.");
            }
            _recordRemaining -= served;
            return served;
        }

        /// <summary>Reads the header of the next PRELOGIN packet carrying handshake bytes; false at the end of the stream.</summary>
        private async Task<bool> NextHandshakePacketAsync(CancellationToken cancellationToken)
        {
            var header = new byte[TdsProtocol.HeaderLength];
            do
            {
                if (!await ReadFullyOrEndAsync(header, cancellationToken).ConfigureAwait(false)) return false;
                if (header[0] != TdsProtocol.PacketPrelogin) throw new IOException("A TDS packet of type " + header[0] + " arrived during the TLS handshake.");
                _packetRemaining = TdsProtocol.PayloadLength(header);
            }
            while (_packetRemaining == 0);
            return true;
        }

        /// <summary>Fills <paramref name="buffer"/>; false when the stream ends before its first byte.</summary>
        private async Task<bool> ReadFullyOrEndAsync(byte[] buffer, CancellationToken cancellationToken)
        {
            var got = 0;
            while (got < buffer.Length)
            {
                var read = await _inner.ReadAsync(buffer.AsMemory(got), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    if (got == 0) return false;
                    throw new EndOfStreamException("The connection closed in the middle of a header.");
                }
                got += read;
            }
            return true;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!_wrapped)
            {
                await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
                return;
            }
            var max = HandshakePacketSize - TdsProtocol.HeaderLength;
            for (var offset = 0; offset < buffer.Length; offset += max)
            {
                var chunk = Math.Min(max, buffer.Length - offset);
                var packet = TdsProtocol.Packet(TdsProtocol.PacketPrelogin, offset + chunk == buffer.Length, 0, _packetId++, buffer.Span.Slice(offset, chunk));
                await _inner.WriteAsync(packet, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
