/** Review (pulmonologist): unsigned recordings, oldest first as the service orders them. */
import type { AppContext } from '../ui/context';
import { h } from '../ui/dom';
import { empty, withLoading } from '../ui/states';
import { recordingColumns } from '../widgets/recording-columns';
import { dataTable, pager } from '../widgets/table';

const LIMIT = 25;

export function reviewQueueView(ctx: AppContext, root: HTMLElement): undefined {
  const body = h('div', {});
  root.append(
    h('h1', {}, 'Review queue'),
    h('p', { class: 'lead' }, 'Recordings waiting for a finding and sign-off. Open one to listen, review and sign.'),
    body,
  );
  const load = (offset: number): void =>
    void withLoading(
      body,
      'the review queue',
      () => ctx.api.call('recordings.reviewQueue', { limit: LIMIT, offset }),
      (page) => {
        if (page.total === 0) {
          body.append(
            empty('Nothing to review', 'Every recording is signed. New recordings appear here as nurses save them.'),
          );
          return;
        }
        body.append(
          dataTable('Unsigned recordings', recordingColumns(true), page.items, (r) =>
            ctx.navigate({ view: 'recording', id: r.id }),
          ),
          pager(page, load),
        );
      },
    );
  load(0);
}
