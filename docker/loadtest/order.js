// The week10 drill's load: k6 against the order/payment service (BASE_URL).
// It uses the externally-controlled executor so that the load can be lowered while it
// runs (`k6 scale --vus N` inside the container: runbookd's action loadtest_slow,
// runbook 2.2 "lower the RPS") as well as stopped (`docker compose stop loadtest`:
// action loadtest_stop). Adjust the endpoints to the app's API.
import http from 'k6/http';
import { check, sleep } from 'k6';

const BASE_URL = __ENV.BASE_URL || 'http://app:8080';

export const options = {
	discardResponseBodies: true,
	scenarios: {
		orders: {
			executor: 'externally-controlled',
			vus: 20,
			maxVUs: 100,
			duration: '60m',
		},
	},
};

export default function () {
	const payload = JSON.stringify({ itemId: Math.floor(Math.random() * 1000) + 1, quantity: 1 });
	const res = http.post(`${BASE_URL}/orders`, payload, {
		headers: { 'Content-Type': 'application/json' },
		tags: { name: 'create-order' },
	});
	check(res, { 'order accepted': (r) => r.status >= 200 && r.status < 300 });
	http.get(`${BASE_URL}/orders?limit=20`, { tags: { name: 'list-orders' } });
	sleep(0.1);
}
