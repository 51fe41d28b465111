using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace AppServiceDr.TdsServer
{
    /// <summary>The reply to one request: tokens are buffered and can be sent early (progress messages) in
    /// packets without END OF MESSAGE; <see cref="FinishAsync"/> closes the reply the way a batch or an RPC ends.</summary>
    internal sealed class Reply
    {
        private readonly TdsConnection _connection;
        private readonly TdsTokenWriter _writer = new TdsTokenWriter();
        private readonly bool _isRpc;
        private bool _anyError;

        public Reply(TdsConnection connection, bool isRpc, CancellationToken cancel)
        {
            _connection = connection;
            _isRpc = isRpc;
            Cancel = cancel;
        }

        /// <summary>Set when the client sent an attention for this request.</summary>
        public CancellationToken Cancel { get; }
        public string ServerName { get; set; } = string.Empty;

        public void Message(SqlMessage message)
        {
            if (message.Class > 10) _anyError = true;
            _writer.Message(message, ServerName);
        }

        public void EnvChange(byte type, string newValue, string oldValue) => _writer.EnvChange(type, newValue, oldValue);

        public void ResultSet(IReadOnlyList<TdsColumn> columns, IEnumerable<IReadOnlyList<object?>> rows)
        {
            _writer.ColMetadata(columns);
            foreach (var row in rows) _writer.Row(columns, row);
        }

        /// <summary>Ends one statement: DONE in a batch, DONEINPROC inside sp_executesql.</summary>
        public void EndStatement(long? rowCount, bool failed, bool last)
        {
            ushort status = 0;
            if (rowCount.HasValue) status |= TdsProtocol.DoneCount;
            if (failed) status |= TdsProtocol.DoneError;
            if (_isRpc)
            {
                _writer.Done(TdsProtocol.TokenDoneInProc, (ushort)(status | TdsProtocol.DoneMore), rowCount ?? 0);
            }
            else
            {
                if (!last) status |= TdsProtocol.DoneMore;
                _writer.Done(TdsProtocol.TokenDone, status, rowCount ?? 0);
            }
        }

        /// <summary>Sends what is buffered now, so the client sees it while the statement goes on.</summary>
        public Task FlushAsync()
        {
            Cancel.ThrowIfCancellationRequested();
            return _connection.SendAsync(_writer.TakeBytes(), false);
        }

        public Task DelayAsync(TimeSpan delay) => Task.Delay(delay, Cancel);

        public Task FinishAsync()
        {
            Cancel.ThrowIfCancellationRequested();
            if (_isRpc)
            {
                _writer.ReturnStatus(_anyError ? -6 : 0);
                _writer.Done(TdsProtocol.TokenDoneProc, _anyError ? TdsProtocol.DoneError : TdsProtocol.DoneFinal, 0);
            }
            return _connection.SendAsync(_writer.TakeBytes(), true);
        }
    }
}
