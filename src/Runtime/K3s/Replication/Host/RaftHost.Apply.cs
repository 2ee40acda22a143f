using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Host;

internal sealed partial class RaftHost
{
    private volatile bool _published;
    private volatile bool _publishing;

    private async Task ApplyAsync(Entry entry)
    {
        _bytesSinceSnapshot += entry.Data.Length;
        if (entry.Type == EntryType.ConfChange)
        {
            await ApplyConfChangeAsync(ConfChange.Decode(entry.Data), entry.Index).ConfigureAwait(false);
            return;
        }

        if (EntryPayload.Decode(entry.Data) is not { } payload)
        {
            return;
        }

        switch (payload.Kind)
        {
            case PayloadKind.PublishMember:
                var (name, clientUrls, peerUrls) = MemberTable.DecodeAttributes(payload.Body.Span);
                var knownVoter = _node.ConfState.IsVoter(payload.Origin);
                Members.SetAttributes(payload.Origin, name, clientUrls, peerUrls, knownVoter);
                if (payload.Origin == MemberId)
                {
                    _published = Members.Find(MemberId)?.Name == _options.Name;
                }

                await _transport.AddPeersAsync(Members.PeerUrls()).ConfigureAwait(false);
                break;
            case PayloadKind.UpdatePeerUrls:
                var (member, urls) = MemberTable.DecodePeerUrlUpdate(payload.Body.Span);
                if (Members.Find(member) is { } before && !before.PeerUrls.SequenceEqual(urls))
                {
                    Members.UpdatePeerUrls(member, urls);
                    Log.PeerUrlsChanged(_logger, entry.Index, member, string.Join(",", before.PeerUrls), string.Join(",", urls));
                    await _transport.AddPeersAsync(Members.PeerUrls()).ConfigureAwait(false);
                }

                break;
            default:
                _machine.Apply(entry.Index, payload);
                break;
        }
    }

    private async Task ApplyConfChangeAsync(ConfChange change, ulong index)
    {
        var conf = _node.ApplyConfChange(change);
        switch (change.Type)
        {
            case ConfChangeType.AddLearner:
                Members.Add(change.NodeId, BinaryFields.DecodeStrings(change.Context), isLearner: true);
                break;
            case ConfChangeType.AddVoter:
                Members.Add(change.NodeId, BinaryFields.DecodeStrings(change.Context), isLearner: false);
                break;
            case ConfChangeType.PromoteLearner:
                Members.Promote(change.NodeId);
                break;
            case ConfChangeType.RemoveNode:
                Members.Remove(change.NodeId);
                break;
            default:
                break;
        }

        Log.MembershipChanged(_logger, index, change.Type.ToString(), change.NodeId, string.Join(",", conf.Voters.Select(v => v.ToString("x16"))), string.Join(",", conf.Learners.Select(v => v.ToString("x16"))));
        await _transport.AddPeersAsync(Members.PeerUrls()).ConfigureAwait(false);
        if (change.Type == ConfChangeType.RemoveNode)
        {
            await _transport.RemovePeerAsync(change.NodeId).ConfigureAwait(false);
            if (change.NodeId == MemberId)
            {
                Log.Removed(_logger, MemberId);
            }
        }
    }

    /// <summary>
    /// A member publishes its name and client URLs once a leader exists (etcd publishes member attributes the same
    /// way), so <c>etcdctl member list</c> shows it as started.
    /// </summary>
    private void PublishSelfIfNeeded()
    {
        if (_published || _publishing || _node.Leader == RaftNode.None || !_node.ConfState.Contains(MemberId))
        {
            return;
        }

        if (Members.Find(MemberId) is { } self && self.Name == _options.Name && self.ClientUrls.SequenceEqual(_options.ClientUrls))
        {
            _published = true;
            return;
        }

        _publishing = true;
        var body = MemberTable.EncodeAttributes(_options.Name, _options.ClientUrls, _options.PeerUrls);
        var data = new EntryPayload(PayloadKind.PublishMember, MemberId, 0, body).Encode();
        _ = Task.Run(async () =>
        {
            try
            {
                await ProposeAsync(data, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Log.PublishFailed(_logger, e.Message);
            }
            finally
            {
                // Proposed is not applied: if the entry is lost with a leader change, a later tick publishes again.
                await Task.Delay(_options.ElectionTimeout, _options.Time).ConfigureAwait(false);
                _publishing = false;
            }
        });
    }

    /// <summary>Leader housekeeping on ticks: promote learners that caught up (k3s's learner manager, on the leader only).</summary>
    private void OnTickAsLeader()
    {
        if (_node.Role != RaftRole.Leader)
        {
            _ticksSincePromote = 0;
            return;
        }

        if (++_ticksSincePromote * _options.TickInterval < _options.PromoteInterval)
        {
            return;
        }

        _ticksSincePromote = 0;
        var status = _node.GetStatus();
        foreach (var learner in status.ConfState.Learners)
        {
            if (status.Progress.TryGetValue(learner, out var progress) && progress.Match + (ulong)_options.Raft.MaxPromotionLag >= status.LastIndex)
            {
                var result = _node.ProposeConfChange(new ConfChange(ConfChangeType.PromoteLearner, learner, []));
                if (result.Accepted)
                {
                    Log.Promoting(_logger, learner);
                }

                break;
            }
        }
    }
}
